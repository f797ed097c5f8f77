package redis

import (
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

var (
	errWrongType = resp.Err("WRONGTYPE Operation against a key holding the wrong kind of value")
	errNotInt    = resp.Err("ERR value is not an integer or out of range")
	errSyntax    = resp.Err("ERR syntax error")
)

// exec runs a data command. cl is nil when the command comes from the master's
// replication stream. Writes that change the dataset are propagated to replicas.
func (d *dataset) exec(n *node, cl *client, args []string) (resp.Value, bool) {
	name := strings.ToLower(args[0])
	key := ""
	if len(args) > 1 {
		key = args[1]
	}
	reply, changed := d.apply(name, args)
	if changed && !reply.IsError() {
		n.propagate(args)
		if cl != nil && n.masterHost == "" && n.srv.OnWrite != nil {
			n.srv.OnWrite(n.p.Name(), key)
		}
	}
	return reply, true
}

// apply executes a command on the dataset and reports whether it changed it.
func (d *dataset) apply(name string, args []string) (resp.Value, bool) {
	switch name {
	case "get":
		if d.kind(args[1]) != "string" && d.kind(args[1]) != "" {
			return errWrongType, false
		}
		if v, ok := d.strs[args[1]]; ok {
			return resp.Bulk(v), false
		}
		return resp.Null(), false
	case "set":
		return d.set(args)
	case "del":
		n := 0
		for _, k := range args[1:] {
			if d.kind(k) != "" {
				delete(d.strs, k)
				delete(d.sets, k)
				delete(d.lists, k)
				n++
			}
		}
		return resp.Int(int64(n)), n > 0
	case "exists":
		n := 0
		for _, k := range args[1:] {
			if d.kind(k) != "" {
				n++
			}
		}
		return resp.Int(int64(n)), false
	case "incr", "incrby":
		by := int64(1)
		if name == "incrby" {
			v, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil {
				return errNotInt, false
			}
			by = v
		}
		if d.kind(args[1]) != "string" && d.kind(args[1]) != "" {
			return errWrongType, false
		}
		cur := int64(0)
		if v, ok := d.strs[args[1]]; ok {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return errNotInt, false
			}
			cur = x
		}
		cur += by
		d.strs[args[1]] = strconv.FormatInt(cur, 10)
		return resp.Int(cur), true
	case "sadd", "srem":
		if d.kind(args[1]) != "set" && d.kind(args[1]) != "" {
			return errWrongType, false
		}
		set := d.sets[args[1]]
		if set == nil {
			set = map[string]bool{}
		}
		n := 0
		for _, m := range args[2:] {
			if set[m] == (name == "srem") {
				n++
			}
			if name == "sadd" {
				set[m] = true
			} else {
				delete(set, m)
			}
		}
		if len(set) == 0 {
			delete(d.sets, args[1])
		} else {
			d.sets[args[1]] = set
		}
		return resp.Int(int64(n)), n > 0
	case "smembers", "scard", "sismember":
		if d.kind(args[1]) != "set" && d.kind(args[1]) != "" {
			return errWrongType, false
		}
		set := d.sets[args[1]]
		switch name {
		case "scard":
			return resp.Int(int64(len(set))), false
		case "sismember":
			if set[args[2]] {
				return resp.Int(1), false
			}
			return resp.Int(0), false
		}
		return resp.BulkArray(sortedMembers(set)...), false
	case "rpush":
		if d.kind(args[1]) != "list" && d.kind(args[1]) != "" {
			return errWrongType, false
		}
		d.lists[args[1]] = append(d.lists[args[1]], args[2:]...)
		return resp.Int(int64(len(d.lists[args[1]]))), true
	case "lrange", "llen":
		if d.kind(args[1]) != "list" && d.kind(args[1]) != "" {
			return errWrongType, false
		}
		l := d.lists[args[1]]
		if name == "llen" {
			return resp.Int(int64(len(l))), false
		}
		start, err1 := strconv.Atoi(args[2])
		stop, err2 := strconv.Atoi(args[3])
		if err1 != nil || err2 != nil {
			return errNotInt, false
		}
		if start < 0 {
			start = max(len(l)+start, 0)
		}
		if stop < 0 {
			stop = len(l) + stop
		}
		stop = min(stop, len(l)-1)
		if start > stop {
			return resp.Array(), false
		}
		return resp.BulkArray(l[start : stop+1]...), false
	case "dbsize":
		return resp.Int(int64(d.size())), false
	case "flushall":
		*d = *newDataset()
		return resp.OK, true
	}
	return resp.Err("ERR unknown command '" + args[0] + "'"), false
}

func (d *dataset) kind(key string) string {
	if _, ok := d.strs[key]; ok {
		return "string"
	}
	if _, ok := d.sets[key]; ok {
		return "set"
	}
	if _, ok := d.lists[key]; ok {
		return "list"
	}
	return ""
}

// set is SET key value [NX|XX] [GET] [EX s|PX ms]; expiries are accepted and ignored
// (no workload relies on them).
func (d *dataset) set(args []string) (resp.Value, bool) {
	nx, xx, get := false, false, false
	for i := 3; i < len(args); i++ {
		switch strings.ToUpper(args[i]) {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GET":
			get = true
		case "EX", "PX":
			if i+1 >= len(args) {
				return errSyntax, false
			}
			if v, err := strconv.ParseInt(args[i+1], 10, 64); err != nil || v <= 0 {
				return resp.Err("ERR invalid expire time in 'set' command"), false
			}
			i++
		default:
			return errSyntax, false
		}
	}
	if nx && xx {
		return errSyntax, false
	}
	k := d.kind(args[1])
	if get && k != "" && k != "string" {
		return errWrongType, false
	}
	old, exists := d.strs[args[1]]
	if (nx && k != "") || (xx && k == "") {
		if get {
			if exists {
				return resp.Bulk(old), false
			}
			return resp.Null(), false
		}
		return resp.Null(), false
	}
	delete(d.sets, args[1])
	delete(d.lists, args[1])
	d.strs[args[1]] = args[2]
	if get {
		if exists {
			return resp.Bulk(old), true
		}
		return resp.Null(), true
	}
	return resp.OK, true
}
