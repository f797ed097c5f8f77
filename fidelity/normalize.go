package fidelity

import (
	"sort"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Canonical puts a reply whose order Redis leaves unspecified into one order, so that two
// replies compare equal exactly when they hold the same elements:
//
//   - SMEMBERS: a set, in hash-table order; sorted here.
//   - CONFIG GET: a map built in a dict, in hash order; its name/value pairs sorted by name.
//
// Every other reply is returned as it is.
func Canonical(args []string, v resp.Value) resp.Value {
	if len(args) == 0 || v.Kind != resp.KindArray {
		return v
	}
	switch strings.ToLower(args[0]) {
	case "smembers":
		out := append([]resp.Value(nil), v.Array...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].Str < out[j].Str })
		return resp.Array(out...)
	case "config":
		if len(args) < 2 || !strings.EqualFold(args[1], "get") || len(v.Array)%2 != 0 {
			return v
		}
		pairs := make([][2]resp.Value, len(v.Array)/2)
		for i := range pairs {
			pairs[i] = [2]resp.Value{v.Array[2*i], v.Array[2*i+1]}
		}
		sort.SliceStable(pairs, func(i, j int) bool { return pairs[i][0].Str < pairs[j][0].Str })
		out := make([]resp.Value, 0, len(v.Array))
		for _, p := range pairs {
			out = append(out, p[0], p[1])
		}
		return resp.Array(out...)
	}
	return v
}

// Session follows one connection's MULTI state from the replies it gets, so that the
// elements of an EXEC reply are made canonical according to the commands they answer.
type Session struct {
	queued [][]string
}

// Canonical returns the canonical form of the reply v to args, and records what MULTI,
// EXEC, DISCARD and QUEUED mean for the transaction.
func (s *Session) Canonical(args []string, v resp.Value) resp.Value {
	name := ""
	if len(args) > 0 {
		name = strings.ToLower(args[0])
	}
	switch {
	case v.Kind == resp.KindSimple && v.Str == "QUEUED":
		s.queued = append(s.queued, args)
		return v
	case name == "multi" && v.Equal(resp.OK):
		s.queued = nil
		return v
	case name == "discard" && v.Equal(resp.OK):
		s.queued = nil
		return v
	case name == "exec":
		queued := s.queued
		s.queued = nil
		if v.Kind != resp.KindArray || len(v.Array) != len(queued) {
			return v
		}
		out := make([]resp.Value, len(v.Array))
		for i, e := range v.Array {
			out[i] = Canonical(queued[i], e)
		}
		return resp.Array(out...)
	}
	return Canonical(args, v)
}
