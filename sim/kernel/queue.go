package kernel

import "time"

// event is one entry of the event queue. Events run in (at, seq) order: seq is the order
// in which they were scheduled, so events due at the same instant run in a fixed order
// whatever else happens.
type event struct {
	at  time.Duration
	seq uint64
	fn  func()
	// owner, when set, is the process the callback belongs to: the event is dropped if
	// that incarnation has died and deferred while the process is paused.
	owner *Process
	inc   uint32
	timer *Timer
}

func (e *event) before(f *event) bool {
	return e.at < f.at || (e.at == f.at && e.seq < f.seq)
}

// queue is a binary min-heap of events, written out for the concrete type: the queue is
// the simulator's innermost loop and container/heap's interface calls would double its cost.
type queue struct {
	items []event
}

func (q *queue) len() int { return len(q.items) }

func (q *queue) push(e event) {
	q.items = append(q.items, e)
	i := len(q.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q.items[i].before(&q.items[parent]) {
			break
		}
		q.items[i], q.items[parent] = q.items[parent], q.items[i]
		i = parent
	}
}

func (q *queue) peek() *event { return &q.items[0] }

func (q *queue) pop() event {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items[last] = event{} // release the closure for the garbage collector
	q.items = q.items[:last]
	i := 0
	for {
		left := 2*i + 1
		if left >= last {
			break
		}
		least := left
		if right := left + 1; right < last && q.items[right].before(&q.items[left]) {
			least = right
		}
		if !q.items[least].before(&q.items[i]) {
			break
		}
		q.items[i], q.items[least] = q.items[least], q.items[i]
		i = least
	}
	return top
}
