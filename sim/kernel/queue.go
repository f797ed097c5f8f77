package kernel

import "time"

// action is what an event does when it runs. Arrivals and retransmissions, the bulk of a
// busy world's events, are spelled out rather than wrapped in closures, so that
// scheduling them allocates nothing.
type action uint8

const (
	callFn     action = iota // fn()
	arrival                  // conn.peer.arrive(seg, ...): a segment reaches the far end
	retransmit               // conn.retransmit(): a retransmission timer of the stream
)

// event is what is scheduled. It lives in a slot of the queue from the time it is
// scheduled until it runs, is dropped, or its timer is stopped.
type event struct {
	fn   func()
	seg  any
	conn *Conn
	// owner, when set, is the process the callback belongs to: the event is dropped if
	// that incarnation has died and deferred while the process is paused.
	owner *Process
	inc   uint32
	do    action
	// timer: a Timer's event, traced when it fires. stopped: a timer stopped while it
	// waited in its paused owner's deferred list. hashed: an arrival whose segment's
	// trace hash is known already, hash (see Kernel.forwarded).
	timer, stopped, hashed bool
	hash                   uint64
	// pos is the event's place in the heap, -1 while it waits in a deferred list.
	pos int32
	// gen counts the slot's uses, so that a Timer of an event that is gone does nothing.
	gen uint32
}

// entry is one element of the heap: the order key and the slot of the event. Events run
// in (at, seq) order: seq is the order in which they were scheduled, so events due at the
// same instant run in a fixed order whatever else happens.
type entry struct {
	at   time.Duration
	seq  uint64
	slot int32
}

func (e *entry) before(f *entry) bool {
	return e.at < f.at || (e.at == f.at && e.seq < f.seq)
}

// queue is a binary min-heap of small entries over a slab of events, written out for the
// concrete types: the queue is the simulator's innermost loop. Slots are reused through
// a free list, so a world in its steady state schedules without allocating, and a
// stopped timer leaves the heap at once instead of weighing on it until it would have
// fired.
type queue struct {
	heap  []entry
	slots []event
	free  []int32
}

func (q *queue) len() int { return len(q.heap) }

func (q *queue) peek() *entry { return &q.heap[0] }

// alloc stores e in a free slot and returns the slot.
func (q *queue) alloc(e event) int32 {
	s, slot := q.take()
	e.gen = slot.gen
	*slot = e
	return s
}

// take returns a free slot, empty but for its generation, for the caller to fill in:
// the events the kernel schedules most are written in place rather than copied.
func (q *queue) take() (int32, *event) {
	if n := len(q.free); n > 0 {
		s := q.free[n-1]
		q.free = q.free[:n-1]
		return s, &q.slots[s]
	}
	q.slots = append(q.slots, event{})
	s := int32(len(q.slots) - 1)
	return s, &q.slots[s]
}

// release empties a slot for reuse; Timers that still name it become stale.
func (q *queue) release(s int32) {
	gen := q.slots[s].gen + 1
	q.slots[s] = event{gen: gen}
	q.free = append(q.free, s)
}

func (q *queue) push(e entry) {
	q.heap = append(q.heap, e)
	q.up(len(q.heap)-1, e)
}

// pop removes the first entry; its event stays in its slot.
func (q *queue) pop() entry {
	top := q.heap[0]
	last := len(q.heap) - 1
	x := q.heap[last]
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0, x)
	}
	return top
}

// remove takes the entry at heap position i out of the heap.
func (q *queue) remove(i int) {
	last := len(q.heap) - 1
	x := q.heap[last]
	q.heap = q.heap[:last]
	if i == last {
		return
	}
	if i > 0 && x.before(&q.heap[(i-1)/2]) {
		q.up(i, x)
	} else {
		q.down(i, x)
	}
}

// up places x, whose place is free at i, at or above i. (up and down read the heap and
// the slots into locals: through q the compiler would load them again after every
// store.)
func (q *queue) up(i int, x entry) {
	h, slots := q.heap, q.slots
	for i > 0 {
		parent := (i - 1) / 2
		if !x.before(&h[parent]) {
			break
		}
		set(h, slots, i, h[parent])
		i = parent
	}
	set(h, slots, i, x)
}

// down places x, whose place is free at i, at or below i.
func (q *queue) down(i int, x entry) {
	h, slots := q.heap, q.slots
	n := len(h)
	for {
		least := 2*i + 1
		if least >= n {
			break
		}
		if right := least + 1; right < n && h[right].before(&h[least]) {
			least = right
		}
		if !h[least].before(&x) {
			break
		}
		set(h, slots, i, h[least])
		i = least
	}
	set(h, slots, i, x)
}

// set puts e at heap position i and tells its event where it is.
func set(h []entry, slots []event, i int, e entry) {
	h[i] = e
	slots[e.slot].pos = int32(i)
}
