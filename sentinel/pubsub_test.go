package sentinel

import (
	"slices"
	"testing"

	"github.com/sentinelsim/sentinelsim/resp"
)

// hubSink hands every event to a Hub, as the drivers do.
type hubSink struct {
	*harness
	hub *Hub
}

func (k *hubSink) Event(e Event) {
	if k.hub != nil { // sentinel.New's own events come before anyone can subscribe
		k.hub.PublishEvent(e)
	}
}

// A client of the sentinel's own Pub/Sub gets the events of the channels it subscribed
// to as "message", and those of matching patterns as "pmessage", once per matching
// pattern; debug events (-cmd-link-reconnection here) go to nobody.
func TestHubPublishesEvents(t *testing.T) {
	h := newHarness(t)
	h.conf = []byte("port 26379\nsentinel myid 1111111111111111111111111111111111111111\n" +
		"sentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 1000\n")
	conf, err := ParseConfig(h.conf)
	if err != nil {
		t.Fatal(err)
	}
	sink := &hubSink{harness: h}
	env := h.env()
	env.Sink = sink
	if h.s, err = New(env, conf); err != nil {
		t.Fatal(err)
	}
	sink.hub = NewHub(h.s)

	got := map[string][]string{}
	subscribe := func(client string, args ...string) {
		push := func(v resp.Value) { got[client] = append(got[client], v.String()) }
		if _, more := sink.hub.Open("127.0.0.1:"+client, push).Do(args); more {
			t.Fatalf("%s: %v answered, not pushed", client, args)
		}
	}
	subscribe("1", "SUBSCRIBE", "+set", "+sdown")
	subscribe("2", "PSUBSCRIBE", "*")
	subscribe("3", "PSUBSCRIBE", "-*", "+s?own")
	subscribe("4", "SUBSCRIBE", "-cmd-link-reconnection")

	h.s.Command([]string{"SENTINEL", "SET", "m", "failover-timeout", "5000"})
	h.refused["127.0.0.1:6379"] = true
	for range 12 { // the master cannot be reached: SDOWN after a second
		h.tick(100)
	}
	h.refused["127.0.0.1:6379"] = false
	h.server("127.0.0.1:6379").serving = true
	for range 12 { // it answers PING again
		h.tick(100)
	}

	const set, sdown = `"master m 127.0.0.1 6379 failover-timeout 5000"`, `"master m 127.0.0.1 6379"`
	want := map[string][]string{
		"1": {`["subscribe" "+set" (integer) 1]`, `["subscribe" "+sdown" (integer) 2]`,
			`["message" "+set" ` + set + `]`, `["message" "+sdown" ` + sdown + `]`},
		"2": {`["psubscribe" "*" (integer) 1]`, `["pmessage" "*" "+set" ` + set + `]`,
			`["pmessage" "*" "+sdown" ` + sdown + `]`, `["pmessage" "*" "-sdown" ` + sdown + `]`},
		"3": {`["psubscribe" "-*" (integer) 1]`, `["psubscribe" "+s?own" (integer) 2]`,
			`["pmessage" "+s?own" "+sdown" ` + sdown + `]`, `["pmessage" "-*" "-sdown" ` + sdown + `]`},
		"4": {`["subscribe" "-cmd-link-reconnection" (integer) 1]`},
	}
	for client, w := range want {
		if !slices.Equal(got[client], w) {
			t.Errorf("client %s got\n%q\nwant\n%q", client, got[client], w)
		}
	}
	if !slices.Contains(h.out, "log: Sentinel ID is 1111111111111111111111111111111111111111") {
		t.Errorf("the sentinel did not start as expected: %q", h.out)
	}
}
