package fidelity

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Canonical puts a reply whose order Redis leaves unspecified into one order, so that two
// replies compare equal exactly when they hold the same elements:
//
//   - SMEMBERS: a set, in hash-table order; sorted here.
//   - CONFIG GET: a map built in a dict, in hash order; its name/value pairs sorted by name.
//   - ACL LIST: each user's command rules after +@all or -@all come from a walk of the
//     command table, in hash order; sorted.
//
// Every other reply is returned as it is.
func Canonical(args []string, v resp.Value) resp.Value {
	if len(args) == 0 || v.Kind != resp.KindArray {
		return v
	}
	switch strings.ToLower(args[0]) {
	case "acl":
		if len(args) != 2 || !strings.EqualFold(args[1], "list") {
			return v
		}
		out := make([]resp.Value, len(v.Array))
		for i, line := range v.Array {
			out[i] = resp.Bulk(sortCommandRules(line.Str))
		}
		return resp.Array(out...)
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
// It also names the random ids INFO shows, in order of first appearance.
type Session struct {
	queued  [][]string
	ids     map[string]string
	clients map[int64]string
}

// byNature are INFO fields whose values are the machine's or the clock's, on both sides
// alike (fidelity/README.md): they are replaced by what they are.
var byNature = map[string]string{
	"redis_build_id": "<build>", "os": "<os>", "gcc_version": "<compiler>", "process_id": "<pid>",
	"executable": "<path>", "config_file": "<path>", "server_time_usec": "<clock>", "lru_clock": "<clock>",
	"rdb_last_save_time": "<clock>", "rdb_last_bgsave_time_sec": "<seconds>", "rdb_current_bgsave_time_sec": "<seconds>",
	"aof_last_rewrite_time_sec": "<seconds>", "aof_current_rewrite_time_sec": "<seconds>",
	"current_cow_peak": "<bytes>", "current_cow_size": "<bytes>", "current_cow_size_age": "<seconds>",
	"rdb_last_cow_size": "<bytes>", "aof_last_cow_size": "<bytes>", "module_fork_last_cow_size": "<bytes>",
}

// clientID names a client id by its order of first appearance: client1, client2, ...
func (s *Session) clientID(id int64) string {
	if s.clients == nil {
		s.clients = map[int64]string{}
	}
	if _, ok := s.clients[id]; !ok {
		s.clients[id] = fmt.Sprintf("client%d", len(s.clients)+1)
	}
	return s.clients[id]
}

// clientFields are the fields of a CLIENT LIST line that are the machine's: the client's
// port, its file descriptor, buffer and memory sizes; and the clock's: its age and idle
// time.
var clientFields = map[string]bool{"fd": true, "age": true, "idle": true, "qbuf": true, "qbuf-free": true,
	"argv-mem": true, "multi-mem": true, "rbs": true, "rbp": true, "obl": true, "oll": true, "omem": true, "tot-mem": true}

// canonicalClients rewrites CLIENT LIST and CLIENT INFO lines: ids named, the client's
// port (and the local one of a replica's link with its master, flags=M) and the
// machine's fields replaced.
func (s *Session) canonicalClients(v resp.Value) resp.Value {
	if v.Kind != resp.KindBulk {
		return v
	}
	lines := strings.Split(v.Str, "\n")
	for i, line := range lines {
		fields := strings.Fields(line)
		masterLink := strings.Contains(line, " flags=M ")
		for j, f := range fields {
			k, val, _ := strings.Cut(f, "=")
			switch {
			case k == "id":
				id, _ := strconv.ParseInt(val, 10, 64)
				val = s.clientID(id)
			case k == "addr" || (k == "laddr" && masterLink):
				if host, _, ok := strings.Cut(val, ":"); ok {
					val = host + ":<port>"
				}
			case clientFields[k]:
				val = "<machine>"
			}
			fields[j] = k + "=" + val
		}
		lines[i] = strings.Join(fields, " ")
	}
	return resp.Bulk(strings.Join(lines, "\n"))
}

// infoTiming are INFO fields that count seconds of wall-clock time: only whether they
// are -1 is kept.
var infoTiming = map[string]bool{"master_last_io_seconds_ago": true, "master_link_down_since_seconds": true,
	"master_sync_last_io_seconds_ago": true, "uptime_in_seconds": true, "uptime_in_days": true}

// canonicalInfo rewrites an INFO reply: replication ids become id1, id2, ... in order of
// first appearance in the session (the null id stays), timing fields keep only whether
// they are -1, and a replica line loses its lag.
func (s *Session) canonicalInfo(v resp.Value) resp.Value {
	if v.Kind != resp.KindBulk {
		return v
	}
	if s.ids == nil {
		s.ids = map[string]string{}
	}
	lines := strings.Split(v.Str, "\r\n")
	for i, line := range lines {
		k, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case k == "master_replid" || k == "master_replid2" || k == "run_id":
			if strings.Trim(val, "0") != "" {
				if _, seen := s.ids[val]; !seen {
					s.ids[val] = fmt.Sprintf("id%d", len(s.ids)+1)
				}
				val = s.ids[val]
			}
		case infoTiming[k]:
			if val != "-1" {
				val = "<seconds>"
			}
		case byNature[k] != "":
			val = byNature[k]
		case strings.HasPrefix(k, "slave") && strings.Contains(val, ",lag="):
			val = val[:strings.Index(val, ",lag=")]
		}
		lines[i] = k + ":" + val
	}
	return resp.Bulk(strings.Join(lines, "\r\n"))
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
			out[i] = s.canonical(queued[i], e)
		}
		return resp.Array(out...)
	}
	return s.canonical(args, v)
}

func (s *Session) canonical(args []string, v resp.Value) resp.Value {
	sub := func(name string) bool { return len(args) > 1 && strings.EqualFold(args[1], name) }
	switch {
	case len(args) == 0:
	case strings.EqualFold(args[0], "info"):
		return s.canonicalInfo(v)
	case strings.EqualFold(args[0], "client") && sub("id") && v.Kind == resp.KindInt:
		return resp.Simple(s.clientID(v.Int))
	case strings.EqualFold(args[0], "client") && (sub("list") || sub("info")):
		return s.canonicalClients(v)
	case strings.EqualFold(args[0], "hello") && v.Kind == resp.KindArray:
		out := append([]resp.Value(nil), v.Array...)
		for i := 0; i+1 < len(out); i += 2 {
			if out[i].Str == "id" && out[i+1].Kind == resp.KindInt {
				out[i+1] = resp.Simple(s.clientID(out[i+1].Int))
			}
		}
		return resp.Array(out...)
	}
	return Canonical(args, v)
}

// sortCommandRules sorts the rules that follow the first +@all or -@all of an ACL LIST
// line.
func sortCommandRules(line string) string {
	f := strings.Fields(line)
	for i, w := range f {
		if w == "+@all" || w == "-@all" {
			sort.Strings(f[i+1:])
			break
		}
	}
	return strings.Join(f, " ")
}
