package sentinel

import (
	"errors"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Pipeline matches the replies arriving on a connection to the commands sent on it, as
// hiredis's async context does for Redis's Sentinel; both drivers' transports use it, so
// that the simulator and gosentinel treat replies alike.
//
// Replies come back in the order commands were sent. A SUBSCRIBE's confirmation moves
// the connection into subscribed mode, where every further message goes to the
// subscription. An error reply that no command is waiting for (a SUBSCRIBE refused with
// -NOAUTH, or a server refusing the connection) makes hiredis drop the connection; so
// does Deliver, by returning an error.
type Pipeline struct {
	queue []pending
	sub   func(resp.Value)
}

type pending struct {
	onReply   func(resp.Value, bool)
	onMessage func(resp.Value)
}

// Expect registers a command's reply callback.
func (p *Pipeline) Expect(onReply func(resp.Value, bool)) {
	p.queue = append(p.queue, pending{onReply: onReply})
}

// ExpectSubscription registers a SUBSCRIBE: onMessage gets its confirmation and every
// message after it.
func (p *Pipeline) ExpectSubscription(onMessage func(resp.Value)) {
	p.queue = append(p.queue, pending{onMessage: onMessage})
}

// Deliver hands one arriving value to whoever waits for it. A non-nil error means the
// connection must be dropped.
func (p *Pipeline) Deliver(v resp.Value) error {
	if p.sub != nil {
		p.sub(v)
		return nil
	}
	if len(p.queue) > 0 && p.queue[0].onReply != nil {
		next := p.queue[0]
		p.queue = p.queue[1:]
		next.onReply(v, true)
		return nil
	}
	// hiredis keeps SUBSCRIBE's callback apart from the regular ones: an error here is
	// a reply nobody waits for.
	if v.IsError() {
		return errors.New(v.Str)
	}
	if len(p.queue) == 0 {
		return nil // a reply nobody asked for; hiredis drops it too
	}
	p.sub = p.queue[0].onMessage
	p.queue = p.queue[1:]
	p.sub(v)
	return nil
}

// Fail tells every command still waiting that its reply will not come, as hiredis calls
// each callback with a NULL reply when its context goes away.
func (p *Pipeline) Fail() {
	queue := p.queue
	p.queue = nil
	for _, q := range queue {
		if q.onReply != nil {
			q.onReply(resp.Value{}, false)
		}
	}
}
