package linearize

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
)

func TestWorkloadsAreDeterministicAndUnique(t *testing.T) {
	for _, name := range WorkloadNames {
		t.Run(name, func(t *testing.T) {
			run := func() []Op {
				w, err := NewWorkload(name, 3)
				if err != nil {
					t.Fatal(err)
				}
				if w.Name() != name {
					t.Fatalf("name %q", w.Name())
				}
				r := rand.New(rand.NewPCG(1, 2))
				var ops []Op
				for range 200 {
					ops = append(ops, w.Next(r))
				}
				return append(ops, w.Final()...)
			}
			a, b := run(), run()
			if !reflect.DeepEqual(a, b) {
				t.Fatal("the same seed gave different operations")
			}
			written := map[string]bool{}
			for _, op := range a {
				if op.Arg != "" && written[op.Arg] {
					t.Fatalf("value %s written twice", op.Arg)
				}
				written[op.Arg] = true
				if !slices.Contains(kindsOf[name], op.Kind) {
					t.Fatalf("%s generated a %s", name, op.Kind)
				}
				if n := len(Command(op)); n < 2 || n > MaxCommandLen {
					t.Fatalf("command %q for %v: want 2 to MaxCommandLen arguments", Command(op), op)
				}
			}
			if !a[len(a)-1].Final {
				t.Fatal("final reads are not marked Final")
			}
		})
	}
	if _, err := NewWorkload("bank", 1); err == nil {
		t.Fatal("accepted an unknown workload")
	}
}

func TestCommandsAndReplies(t *testing.T) {
	cases := []struct {
		op     Op
		cmd    []string
		reply  any
		out    Output
		status Status
	}{
		{Op{Kind: KindSAdd, Key: "set", Arg: "7"}, []string{"SADD", "set", "7"}, int64(1), Output{Int: 1}, Ok},
		{Op{Kind: KindSMembers, Key: "set"}, []string{"SMEMBERS", "set"}, []any{"2", "10", "1"}, Output{Values: []string{"1", "10", "2"}}, Ok},
		{Op{Kind: KindSMembers, Key: "set"}, []string{"SMEMBERS", "set"}, nil, Output{Values: []string{}}, Ok},
		{Op{Kind: KindGet, Key: "r"}, []string{"GET", "r"}, "5", Output{Value: "5"}, Ok},
		{Op{Kind: KindGet, Key: "r"}, []string{"GET", "r"}, nil, Output{Nil: true}, Ok},
		{Op{Kind: KindSet, Key: "r", Arg: "5"}, []string{"SET", "r", "5"}, "OK", Output{}, Ok},
		{Op{Kind: KindSet, Key: "r", Arg: "5"}, []string{"SET", "r", "5"}, errors.New("READONLY You can't write against a read only replica."),
			Output{Error: "READONLY You can't write against a read only replica."}, Fail},
		{Op{Kind: KindSet, Key: "r", Arg: "5"}, []string{"SET", "r", "5"}, errors.New("NOREPLICAS Not enough good replicas to write."),
			Output{Error: "NOREPLICAS Not enough good replicas to write."}, Fail},
		{Op{Kind: KindSetNX, Key: "r", Arg: "6"}, []string{"SET", "r", "6", "NX"}, nil, Output{Nil: true}, Ok},
		{Op{Kind: KindSetNX, Key: "r", Arg: "6"}, []string{"SET", "r", "6", "NX"}, "OK", Output{}, Ok},
		{Op{Kind: KindDel, Key: "r"}, []string{"DEL", "r"}, int64(0), Output{}, Ok},
		{Op{Kind: KindIncr, Key: "c"}, []string{"INCR", "c"}, int64(3), Output{Int: 3}, Ok},
		{Op{Kind: KindRPush, Key: "l", Arg: "4"}, []string{"RPUSH", "l", "4"}, int64(2), Output{Int: 2}, Ok},
		{Op{Kind: KindLRange, Key: "l"}, []string{"LRANGE", "l", "0", "-1"}, []string{"2", "10"}, Output{Values: []string{"2", "10"}}, Ok},
		{Op{Kind: KindIncr, Key: "c"}, []string{"INCR", "c"}, "3", Output{Error: "unexpected reply string 3 to incr"}, Unknown},
	}
	for _, c := range cases {
		if got := Command(c.op); !slices.Equal(got, c.cmd) {
			t.Errorf("%v: command %q, want %q", c.op, got, c.cmd)
		}
		out, st := ParseReply(c.op.Kind, c.reply)
		if !reflect.DeepEqual(out, c.out) || st != c.status {
			t.Errorf("%v: reply %#v parsed to %+v %s, want %+v %s", c.op, c.reply, out, st, c.out, c.status)
		}
	}
}

// The values are "0", "1", ... in order, across blocks, and each once when clients
// share a workload from goroutines of their own.
func TestValuesCountUp(t *testing.T) {
	var v values
	for i := range 3*valueBlockSize + 7 {
		if got := v.take(); got != strconv.Itoa(i) {
			t.Fatalf("value %d is %q", i, got)
		}
	}
	w, _ := NewWorkload("set-add", 1)
	shared := Shared(w)
	const clients, each = 4, 1000
	got := make([][]string, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for range each {
				got[c] = append(got[c], shared.Next(nil).Arg)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, vs := range got {
		for _, s := range vs {
			seen[s] = true
		}
	}
	for i := range clients * each {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("value %d never handed out (%d distinct)", i, len(seen))
		}
	}
}
