package linearize

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
)

// step is an operation as the porcupine models see it, both as input and as output.
type step struct {
	kind, key, arg string
	out            Output
	// unknown: the operation may have taken effect with any output.
	unknown bool
	// hash of out.Values, precomputed for list reads.
	hash uint64
	// label describes a synthetic operation (a group of set-add operations).
	label string
	op    *Op
}

// models holds one porcupine model per workload. Each model's state is the state of one
// key: the checker partitions histories by key, which is what keeps it fast.
var models = map[string]porcupine.Model{
	"set-add":     withCommon(setModel),
	"register":    withCommon(registerModel),
	"counter":     withCommon(counterModel),
	"list-append": withCommon(listModel),
}

func withCommon(m porcupine.Model) porcupine.Model {
	m.Partition = partitionByKey
	m.DescribeOperation = describeStep
	m.DescribeOperationMetadata = describeMetadata
	return m
}

func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	var keys []string
	byKey := map[string][]porcupine.Operation{}
	for _, o := range history {
		k := o.Input.(*step).key
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], o)
	}
	slices.Sort(keys)
	parts := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		parts[i] = byKey[k]
	}
	return parts
}

func describeStep(input, _ any) string {
	s := input.(*step)
	if s.label != "" {
		return s.label
	}
	d := s.kind + " " + s.key
	if s.arg != "" {
		d += " " + s.arg
	}
	switch {
	case s.unknown:
		return d + " → ?"
	case s.kind == KindSet:
		return d
	}
	return d + " → " + describeOutput(s.out)
}

func describeOutput(o Output) string {
	switch {
	case o.Nil:
		return "nil"
	case o.Values != nil:
		return "[" + strings.Join(o.Values, " ") + "]"
	case o.Value != "":
		return strconv.Quote(o.Value)
	}
	return strconv.FormatInt(o.Int, 10)
}

func describeMetadata(m any) string {
	op, ok := m.(*Op)
	if !ok || op == nil {
		return ""
	}
	s := fmt.Sprintf("op %d, %s", op.ID, op.Status)
	if op.Node != "" {
		s += ", served by " + op.Node
		if op.Role != "" {
			s += " (" + op.Role + ")"
		}
	}
	if op.Output.Error != "" {
		s += ": " + op.Output.Error
	}
	return s
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// setModel: the state is the sorted slice of members. The set-add history is reduced
// before checking (see reduceSetAdd), so states stay small. SADD's reply is not checked:
// the workload's members are unique, so it carries nothing the final read does not.
var setModel = porcupine.Model{
	Init: func() any { return []string{} },
	Step: func(state, input, _ any) (bool, any) {
		members, s := state.([]string), input.(*step)
		if s.kind == KindSMembers {
			return slices.Equal(members, s.out.Values), members
		}
		i, found := slices.BinarySearch(members, s.arg)
		if found {
			return true, members
		}
		return true, slices.Insert(slices.Clip(members), i, s.arg)
	},
	Equal: func(a, b any) bool { return slices.Equal(a.([]string), b.([]string)) },
	Hash: func(state any) uint64 {
		h := fnv.New64a()
		for _, m := range state.([]string) {
			h.Write([]byte(m))
			h.Write([]byte{0})
		}
		return h.Sum64()
	},
	DescribeState: func(state any) string { return "{" + strings.Join(state.([]string), " ") + "}" },
}

type regState struct {
	present bool
	value   string
}

var registerModel = porcupine.Model{
	Init: func() any { return regState{} },
	Step: func(state, input, _ any) (bool, any) {
		r, s := state.(regState), input.(*step)
		switch s.kind {
		case KindGet:
			if s.out.Nil {
				return !r.present, r
			}
			return r.present && r.value == s.out.Value, r
		case KindSet:
			return true, regState{true, s.arg}
		case KindSetNX:
			switch {
			case s.unknown && r.present:
				return true, r
			case s.unknown:
				return true, regState{true, s.arg}
			case s.out.Nil: // not set: the key must have existed
				return r.present, r
			}
			return !r.present, regState{true, s.arg}
		case KindDel:
			if s.unknown {
				return true, regState{}
			}
			return (s.out.Int == 1) == r.present, regState{}
		}
		return false, r
	},
	Hash: func(state any) uint64 { return hashString(state.(regState).value) },
	DescribeState: func(state any) string {
		if r := state.(regState); r.present {
			return strconv.Quote(r.value)
		}
		return "nil"
	},
}

var counterModel = porcupine.Model{
	Init: func() any { return int64(0) },
	Step: func(state, input, _ any) (bool, any) {
		n, s := state.(int64), input.(*step)
		switch s.kind {
		case KindIncr:
			return s.unknown || s.out.Int == n+1, n + 1
		case KindGet:
			if s.out.Nil {
				return n == 0, n
			}
			v, err := strconv.ParseInt(s.out.Value, 10, 64)
			return err == nil && v == n, n
		}
		return false, n
	},
	Hash:          func(state any) uint64 { return uint64(state.(int64)) },
	DescribeState: func(state any) string { return strconv.FormatInt(state.(int64), 10) },
}

// list is an immutable list that shares its prefix with the list it was appended to, so
// that RPUSH costs O(1) however long the list grows. hash is a rolling hash of the
// elements in order, so that unequal lists are almost always told apart in O(1).
type list struct {
	prev *list
	elem string
	n    int
	hash uint64
}

func (l *list) push(e string) *list {
	return &list{prev: l, elem: e, n: l.len() + 1, hash: rollHash(l.sum(), e)}
}

func (l *list) len() int {
	if l == nil {
		return 0
	}
	return l.n
}

func (l *list) sum() uint64 {
	if l == nil {
		return 0
	}
	return l.hash
}

func rollHash(h uint64, e string) uint64 { return h*1099511628211 + hashString(e) }

func listHash(vals []string) uint64 {
	var h uint64
	for _, v := range vals {
		h = rollHash(h, v)
	}
	return h
}

// equals compares with a slice: length and hash first, elements only when both agree.
func (l *list) equals(vals []string, hash uint64) bool {
	if l.len() != len(vals) || l.sum() != hash {
		return false
	}
	for i := len(vals) - 1; i >= 0; i, l = i-1, l.prev {
		if l.elem != vals[i] {
			return false
		}
	}
	return true
}

// same compares two lists, walking back only until they share a node.
func (l *list) same(o *list) bool {
	if l.len() != o.len() || l.sum() != o.sum() {
		return false
	}
	for ; l != o; l, o = l.prev, o.prev {
		if l.elem != o.elem {
			return false
		}
	}
	return true
}

func (l *list) slice() []string {
	vals := make([]string, l.len())
	for i := len(vals) - 1; i >= 0; i, l = i-1, l.prev {
		vals[i] = l.elem
	}
	return vals
}

var listModel = porcupine.Model{
	Init: func() any { return (*list)(nil) },
	Step: func(state, input, _ any) (bool, any) {
		l, s := state.(*list), input.(*step)
		switch s.kind {
		case KindRPush:
			// RPUSH replies with the new length, which pins where the element went.
			return s.unknown || s.out.Int == int64(l.len()+1), l.push(s.arg)
		case KindLRange:
			return l.equals(s.out.Values, s.hash), l
		}
		return false, l
	},
	Equal:         func(a, b any) bool { return a.(*list).same(b.(*list)) },
	Hash:          func(state any) uint64 { return state.(*list).sum() },
	DescribeState: func(state any) string { return "[" + strings.Join(state.(*list).slice(), " ") + "]" },
}
