package netmodel

import "time"

// TCP timing, Linux's defaults: data is retransmitted after an RTO of at least 200 ms that
// doubles on every retry up to 120 s, and the connection is aborted once tcp_retries2 (15)
// retransmissions have gone unanswered, about 15 minutes in all. A SYN is retransmitted
// tcp_syn_retries (6) times, 1 s apart at first and doubling, so a connect to an
// unreachable host fails after 127 s.
const (
	InitialRTO     = 200 * time.Millisecond
	MaxRTO         = 120 * time.Second
	Retries2       = 15
	InitialSynRTO  = time.Second
	SynRetries     = 6
	ConnectTimeout = (1<<(SynRetries+1) - 1) * InitialSynRTO // 127 s
)

// Deliver says which of the segments waiting in a stream reach the receiver.
type Deliver uint8

const (
	// None: nothing arrives now.
	None Deliver = iota
	// Head: the oldest waiting segment arrives, the rest keep waiting.
	Head
	// All: every waiting segment arrives, in order.
	All
)

// Step is the model's answer to a transmission.
type Step struct {
	Deliver Deliver
	// Arrive is when the delivered segments reach the receiving host.
	Arrive time.Duration
	// Retry, when not zero, is when the sender retransmits: call Stream.Retransmit then.
	Retry time.Duration
	// Abort means the retransmission limit was reached: the sender's connection is dead
	// (ETIMEDOUT); the receiver is not told.
	Abort bool
}

// Stream is one direction of a TCP connection as its sender sees it. Data written while
// the path is open arrives after one latency, never before data written earlier. When a
// transmission is lost or its ACK cannot come back, the stream stalls: as Linux does after
// an RTO, it retransmits only its oldest unacknowledged segment, with exponential back-off,
// and everything written later waits behind it. When both directions are open again at a
// retransmission, the waiting data flows at once. So data sent during a partition is not
// lost: it arrives at the first retransmission after the heal (a "zombie write"), unless
// the retransmission limit aborts the connection first.
type Stream struct {
	From, To HostID
	last     time.Duration // arrival of the latest delivered segment
	stalled  bool
	headSent bool // while stalled: the oldest unacknowledged segment reached the receiver
	rto      time.Duration
	retries  int
}

// Stalled reports whether the stream is retransmitting, so that newly written data waits.
func (s *Stream) Stalled() bool { return s.stalled }

// Send is a new segment written at now. When the answer delivers Head, that head is the
// new segment; when the stream is stalled, the segment waits (None).
func (s *Stream) Send(n *Network, now time.Duration, r Rand) Step {
	if s.stalled {
		return Step{}
	}
	if !n.Passable(s.From, s.To) || n.lost(s.From, s.To, r) {
		s.stall(false)
		return Step{Retry: now + s.rto}
	}
	step := Step{Deliver: Head, Arrive: s.arrival(n, now, r)}
	if !n.Passable(s.To, s.From) {
		// The data arrives but its ACK cannot return: the sender will time out and stall.
		s.stall(true)
		step.Retry = now + s.rto
	}
	return step
}

// Retransmit is called at the time a previous Step named in Retry.
func (s *Stream) Retransmit(n *Network, now time.Duration, r Rand) Step {
	s.retries++
	if s.retries > Retries2 {
		return Step{Abort: true}
	}
	forward := n.Passable(s.From, s.To) && !n.lost(s.From, s.To, r)
	back := n.Passable(s.To, s.From)
	switch {
	case forward && back:
		s.stalled = false
		return Step{Deliver: All, Arrive: s.arrival(n, now, r)}
	case forward && !s.headSent:
		s.headSent = true
		s.backoff()
		return Step{Deliver: Head, Arrive: s.arrival(n, now, r), Retry: now + s.rto}
	}
	s.backoff()
	return Step{Retry: now + s.rto}
}

func (s *Stream) stall(headSent bool) {
	s.stalled, s.headSent = true, headSent
	s.rto, s.retries = InitialRTO, 0
}

func (s *Stream) backoff() {
	s.rto = min(2*s.rto, MaxRTO)
}

// arrival is the arrival time of data transmitted at now: one latency later, but never
// before data transmitted earlier on the same stream (TCP delivers in order).
func (s *Stream) arrival(n *Network, now time.Duration, r Rand) time.Duration {
	at := max(now+n.Latency(s.From, s.To, r), s.last)
	s.last = at
	return at
}

// SYN is the model's answer to one transmission of a connection request.
type SYN struct {
	// Arrive, when Reached, is when the SYN reaches the destination host.
	Reached bool
	Arrive  time.Duration
}

// SendSYN transmits a SYN (or its retransmission) at now.
func (n *Network) SendSYN(from, to HostID, now time.Duration, r Rand) SYN {
	if !n.Passable(from, to) || n.lost(from, to, r) {
		return SYN{}
	}
	return SYN{Reached: true, Arrive: now + n.Latency(from, to, r)}
}

// ReplyToSYN is the server's answer to a SYN (a SYN-ACK, or an RST when nothing listens),
// sent at now: whether it reaches the client, and when.
func (n *Network) ReplyToSYN(client, server HostID, now time.Duration, r Rand) SYN {
	return n.SendSYN(server, client, now, r)
}

// SYNRetry returns when the attempt-th retransmission of a SYN first sent at start goes
// out (attempt counts from 1), or ok == false when the attempts are exhausted and the
// connect fails with a timeout at start+ConnectTimeout.
func SYNRetry(start time.Duration, attempt int) (at time.Duration, ok bool) {
	if attempt > SynRetries {
		return start + ConnectTimeout, false
	}
	return start + time.Duration(1<<attempt-1)*InitialSynRTO, true
}
