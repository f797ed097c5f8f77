package linearize_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
)

// A client's loop, recording into a History, and the checkers run on the result. Here
// the "server" loses the second write, as an isolated old master would.
func Example() {
	w, _ := linearize.NewWorkload("set-add", 1)
	r := rand.New(rand.NewPCG(1, 1))
	var h linearize.History
	replies := []any{int64(1), int64(1), errors.New("READONLY You can't write against a read only replica."), int64(1)}
	now := int64(0)
	for _, reply := range replies {
		op := w.Next(r)
		id := h.Invoke(0, op, now)
		_ = linearize.Command(op) // what a client sends
		out, status := linearize.ParseReply(op.Kind, reply)
		now += int64(time.Millisecond)
		h.Complete(id, out, status, "127.0.0.1:6379", "master", now)
	}
	final := w.Final()[0]
	id := h.Invoke(0, final, now)
	out, status := linearize.ParseReply(final.Kind, []any{"0", "3"})
	h.Complete(id, out, status, "127.0.0.1:6380", "master", now+1)

	fmt.Println(linearize.LostWrites(w.Name(), h.Ops()).Summary)
	fmt.Println(linearize.Linearizable(w.Name(), h.Ops(), time.Second).Summary)
	// Output:
	// set: 4 attempted, 3 acknowledged, 2 survivors, 1 lost (33.3%)
	// not linearizable on 1 of 1 keys: set
}
