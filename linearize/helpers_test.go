package linearize

import (
	"strconv"
	"testing"
)

// numbered gives ops their IDs and makes Ok the default status, so that tests can write
// histories as literals.
func numbered(ops ...Op) []Op {
	for i := range ops {
		ops[i].ID = i
		if ops[i].Status == "" {
			ops[i].Status = Ok
		}
	}
	return ops
}

func wantResult(t *testing.T, v Verdict, want Result) {
	t.Helper()
	if v.Result != want {
		t.Fatalf("%s: got %s (%s), want %s\nevidence: %+v", v.Name, v.Result, v.Summary, want, v.Evidence)
	}
}

// sequentialDB executes the workloads' commands one at a time, as a single Redis would,
// and replies with the plain values ParseReply takes.
type sequentialDB struct {
	strings map[string]string
	sets    map[string]map[string]bool
	lists   map[string][]string
}

func newSequentialDB() *sequentialDB {
	return &sequentialDB{strings: map[string]string{}, sets: map[string]map[string]bool{}, lists: map[string][]string{}}
}

func (db *sequentialDB) do(cmd []string) any {
	key := cmd[1]
	switch cmd[0] {
	case "SADD":
		if db.sets[key] == nil {
			db.sets[key] = map[string]bool{}
		}
		if db.sets[key][cmd[2]] {
			return int64(0)
		}
		db.sets[key][cmd[2]] = true
		return int64(1)
	case "SMEMBERS":
		var out []any
		for m := range db.sets[key] { // ParseReply sorts
			out = append(out, m)
		}
		return out
	case "GET":
		if v, ok := db.strings[key]; ok {
			return v
		}
		return nil
	case "SET":
		if _, ok := db.strings[key]; ok && len(cmd) == 4 { // NX
			return nil
		}
		db.strings[key] = cmd[2]
		return "OK"
	case "DEL":
		if _, ok := db.strings[key]; ok {
			delete(db.strings, key)
			return int64(1)
		}
		return int64(0)
	case "INCR":
		n, _ := strconv.ParseInt(db.strings[key], 10, 64)
		db.strings[key] = strconv.FormatInt(n+1, 10)
		return n + 1
	case "RPUSH":
		db.lists[key] = append(db.lists[key], cmd[2])
		return int64(len(db.lists[key]))
	case "LRANGE":
		return append([]string{}, db.lists[key]...)
	}
	panic("sequentialDB: unknown command " + cmd[0])
}
