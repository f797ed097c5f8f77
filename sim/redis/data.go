package redis

import (
	"github.com/sentinelsim/sentinelsim/resp"
)

var (
	errWrongType = resp.Err("WRONGTYPE Operation against a key holding the wrong kind of value")
	errNotInt    = resp.Err("ERR value is not an integer or out of range")
	errSyntax    = resp.Err("ERR syntax error")
	errOverflow  = resp.Err("ERR increment or decrement would overflow")
)

// exec runs a data command, name being its name in the command table. cl is nil when
// the command comes from the master's replication stream. Writes that change the
// dataset count their changes and are propagated to replicas, as is FLUSHALL even when
// it removed nothing (flushallCommand forces its propagation).
func (d *dataset) exec(n *node, cl *client, name string, args []string) resp.Value {
	reply, changes := d.apply(n, name, args)
	if (changes > 0 || name == "flushall") && !reply.IsError() {
		n.dirty += changes
		n.propagate(propagated(n, name, args))
		if cl != nil && n.masterHost == "" && n.srv.OnWrite != nil {
			key := ""
			if len(args) > 1 {
				key = args[1]
			}
			n.srv.OnWrite(n.p.Name(), key)
		}
	}
	return reply
}

// apply executes a command on the dataset, as the command's function in Redis 7.0.15
// does (t_string.c, t_set.c, t_list.c, db.c), and returns its reply and the changes it
// made as those functions add them to server.dirty: the members SADD added and SREM
// removed, the elements RPUSH pushed, the keys DEL and FLUSHALL removed, one for a SET
// that set and an INCR. n is nil when a full sync replays a snapshot.
func (d *dataset) apply(n *node, name string, args []string) (resp.Value, int64) {
	switch name {
	case "get":
		return d.get(args[1])
	case "set":
		return d.set(n, args)
	case "del":
		count := 0
		for _, k := range args[1:] {
			if d.kind(k) != "" {
				d.remove(k)
				count++
			}
		}
		return resp.Int(int64(count)), int64(count)
	case "exists":
		count := 0
		for _, k := range args[1:] {
			if d.kind(k) != "" {
				count++
			}
		}
		return resp.Int(int64(count)), 0
	case "incr", "incrby":
		by := int64(1)
		if name == "incrby" {
			v, ok := string2ll(args[2])
			if !ok {
				return errNotInt, 0
			}
			by = v
		}
		if k := d.kind(args[1]); k != "string" && k != "" {
			return errWrongType, 0
		}
		cur := int64(0)
		if v, ok := d.strs[args[1]]; ok {
			x, ok := string2ll(v)
			if !ok {
				return errNotInt, 0
			}
			cur = x
		}
		if (by < 0 && cur < 0 && by < -1<<63-cur) || (by > 0 && cur > 0 && by > 1<<63-1-cur) {
			return errOverflow, 0
		}
		cur += by
		d.strs[args[1]] = formatInt(cur)
		return resp.Int(cur), 1
	case "sadd":
		// One lookup for the common case, an existing set: a key is in one map at most.
		set, ok := d.setNamed(args[1])
		if !ok {
			if d.kind(args[1]) != "" {
				return errWrongType, 0
			}
			set = &memberSet{}
			d.sets[args[1]] = set
		}
		added := 0
		for _, m := range args[2:] {
			if set.add(m) {
				added++
			}
		}
		return resp.Int(int64(added)), int64(added)
	case "srem":
		if k := d.kind(args[1]); k != "set" && k != "" {
			return errWrongType, 0
		}
		set := d.sets[args[1]]
		removed := 0
		for _, m := range args[2:] {
			if set.remove(m) {
				removed++
				if set.len() == 0 {
					d.remove(args[1])
					break // Redis stops once the set is gone
				}
			}
		}
		return resp.Int(int64(removed)), int64(removed)
	case "smembers", "scard", "sismember":
		if k := d.kind(args[1]); k != "set" && k != "" {
			return errWrongType, 0
		}
		set := d.sets[args[1]]
		switch name {
		case "scard":
			return resp.Int(int64(set.len())), 0
		case "sismember":
			if set.has(args[2]) {
				return resp.Int(1), 0
			}
			return resp.Int(0), 0
		}
		return resp.BulkArray(set.sorted()...), 0
	case "rpush":
		if k := d.kind(args[1]); k != "list" && k != "" {
			return errWrongType, 0
		}
		d.lists[args[1]] = append(d.lists[args[1]], args[2:]...)
		return resp.Int(int64(len(d.lists[args[1]]))), int64(len(args) - 2)
	case "llen":
		if k := d.kind(args[1]); k != "list" && k != "" {
			return errWrongType, 0
		}
		return resp.Int(int64(len(d.lists[args[1]]))), 0
	case "lrange":
		start, ok1 := string2ll(args[2])
		end, ok2 := string2ll(args[3])
		if !ok1 || !ok2 {
			return errNotInt, 0
		}
		if k := d.kind(args[1]); k != "list" && k != "" {
			return errWrongType, 0
		}
		l := d.lists[args[1]]
		n := int64(len(l))
		if start < 0 {
			start = n + start
		}
		if end < 0 {
			end = n + end
		}
		if start < 0 {
			start = 0
		}
		if start > end || start >= n {
			return resp.Array(), 0
		}
		if end >= n {
			end = n - 1
		}
		return resp.BulkArray(l[start : end+1]...), 0
	case "dbsize":
		return resp.Int(int64(d.size())), 0
	case "flushall":
		if len(args) > 2 || (len(args) == 2 && asciiLower(args[1]) != "sync" && asciiLower(args[1]) != "async") {
			return errSyntax, 0
		}
		removed := d.size() // emptyData's count: the keys, not their elements
		*d = *newDataset()
		return resp.OK, int64(removed)
	}
	return resp.Err("ERR unknown command '" + args[0] + "'"), 0
}

// propagated is the form a write takes in the replication stream: SET with an expiry as
// SET key value PXAT <unix ms>, SET ... GET without its GET (setGenericCommand); every
// other write as it came.
func propagated(n *node, name string, args []string) []string {
	if name != "set" {
		return args
	}
	out := []string{args[0], args[1], args[2]}
	for j := 3; j < len(args); j++ {
		switch opt := asciiLower(args[j]); opt {
		case "ex", "px", "exat", "pxat":
			ms, _ := string2ll(args[j+1])
			switch opt {
			case "ex":
				ms = ms*1000 + n.p.WallMs()
			case "px":
				ms += n.p.WallMs()
			case "exat":
				ms *= 1000
			}
			return []string{"SET", args[1], args[2], "PXAT", formatInt(ms)}
		case "get":
		default:
			out = append(out, args[j])
		}
	}
	return out
}

func formatInt(v int64) string {
	var buf [20]byte
	i := len(buf)
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if v < 0 {
		return "-" + string(buf[i:])
	}
	return string(buf[i:])
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

func (d *dataset) remove(key string) {
	delete(d.strs, key)
	delete(d.sets, key)
	delete(d.lists, key)
	d.lastSet = nil
}

// setNamed is d.sets[key], remembered for the next call.
func (d *dataset) setNamed(key string) (*memberSet, bool) {
	if d.lastSet != nil && key == d.lastSetKey {
		return d.lastSet, true
	}
	set, ok := d.sets[key]
	if ok {
		d.lastSetKey, d.lastSet = key, set
	}
	return set, ok
}

// get is getGenericCommand: nil for a missing key, WRONGTYPE for another type.
func (d *dataset) get(key string) (resp.Value, int64) {
	if k := d.kind(key); k != "string" && k != "" {
		return errWrongType, 0
	}
	if v, ok := d.strs[key]; ok {
		return resp.Bulk(v), 0
	}
	return resp.Null(), 0
}

// SET's option flags (t_string.c).
const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
)

// set is SET key value [NX|XX] [GET] [KEEPTTL|EX s|PX ms|EXAT ts|PXAT ms-ts], parsed as
// parseExtendedStringArgumentsOrReply does and checked in setGenericCommand's order:
// syntax, then the expiry, then GET's type check, then NX/XX. Expiries are checked and
// then ignored: keys never expire in the simulation. n is nil when replaying a snapshot.
func (d *dataset) set(n *node, args []string) (resp.Value, int64) {
	flags := 0
	expire := ""
	for j := 3; j < len(args); j++ {
		opt := asciiLower(args[j])
		hasNext := j < len(args)-1
		switch {
		case opt == "nx" && flags&setXX == 0:
			flags |= setNX
		case opt == "xx" && flags&setNX == 0:
			flags |= setXX
		case opt == "get":
			flags |= setGet
		case opt == "keepttl" && flags&(setEX|setEXAT|setPX|setPXAT) == 0:
			flags |= setKeepTTL
		case opt == "ex" && flags&(setKeepTTL|setEXAT|setPX|setPXAT) == 0 && hasNext:
			flags |= setEX
			expire = args[j+1]
			j++
		case opt == "px" && flags&(setKeepTTL|setEX|setEXAT|setPXAT) == 0 && hasNext:
			flags |= setPX
			expire = args[j+1]
			j++
		case opt == "exat" && flags&(setKeepTTL|setEX|setPX|setPXAT) == 0 && hasNext:
			flags |= setEXAT
			expire = args[j+1]
			j++
		case opt == "pxat" && flags&(setKeepTTL|setEX|setEXAT|setPX) == 0 && hasNext:
			flags |= setPXAT
			expire = args[j+1]
			j++
		default:
			return errSyntax, 0
		}
	}
	if flags&(setEX|setPX|setEXAT|setPXAT) != 0 {
		ms, ok := string2ll(expire)
		if !ok {
			return errNotInt, 0
		}
		seconds := flags&(setEX|setEXAT) != 0
		if ms <= 0 || (seconds && ms > (1<<63-1)/1000) {
			return resp.Err("ERR invalid expire time in 'set' command"), 0
		}
		if seconds {
			ms *= 1000
		}
		if flags&(setEX|setPX) != 0 {
			now := int64(0)
			if n != nil {
				now = n.p.WallMs()
			}
			ms += now // wraps negative on overflow, as in C
		}
		if ms <= 0 {
			return resp.Err("ERR invalid expire time in 'set' command"), 0
		}
	}
	var reply resp.Value
	if flags&setGet != 0 {
		if reply, _ = d.get(args[1]); reply.IsError() {
			return reply, 0
		}
	}
	found := d.kind(args[1]) != ""
	if (flags&setNX != 0 && found) || (flags&setXX != 0 && !found) {
		if flags&setGet != 0 {
			return reply, 0
		}
		return resp.Null(), 0
	}
	d.remove(args[1])
	d.strs[args[1]] = args[2]
	if flags&setGet != 0 {
		return reply, 1
	}
	return resp.OK, 1
}
