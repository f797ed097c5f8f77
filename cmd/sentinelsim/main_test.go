package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func execute(args ...string) (string, error) {
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestRunPrintsTheLogAndAPassingVerdict(t *testing.T) {
	out, err := execute("run", "--seed", "3")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "PASS seed=3 ") {
		t.Errorf("last line %q, want the PASS verdict", last)
	}
	if !strings.Contains(out, "# +switch-master mymaster 127.0.0.1 6382 127.0.0.1 ") {
		t.Errorf("the log has no +switch-master line in Redis's format:\n%s", out)
	}
}

func TestRunJSONIsParseableAndReplays(t *testing.T) {
	var runs [2]struct {
		Seed      uint64 `json:"seed"`
		TraceHash string `json:"trace_hash"`
		OK        bool   `json:"ok"`
		Events    []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	for i := range runs {
		out, err := execute("run", "--seed", "9", "--json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), &runs[i]); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
	}
	if !runs[0].OK || runs[0].Seed != 9 || len(runs[0].Events) == 0 {
		t.Errorf("unexpected result: %+v", runs[0])
	}
	if runs[0].TraceHash != runs[1].TraceHash {
		t.Errorf("seed 9 gave traces %s and %s", runs[0].TraceHash, runs[1].TraceHash)
	}
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--seed", "x"}, `invalid argument "x" for "--seed"`},
		{[]string{"run", "--scenario", "nosuch"}, "nosuch"},
		{[]string{"run", "--scenario", "swarm"}, "only tutorial-kill-master so far"},
		{[]string{"run", "extra"}, "unknown command"},
	} {
		out, err := execute(tc.args...)
		if err == nil || !strings.Contains(out+err.Error(), tc.want) {
			t.Errorf("%v: err %v, output %q; want an error mentioning %q", tc.args, err, out, tc.want)
		}
	}
}

func TestListShowsTheCatalogue(t *testing.T) {
	out, err := execute("list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tutorial-kill-master", "jepsen-2013-partition", "swarm"} {
		if !strings.Contains(out, name) {
			t.Errorf("list misses %s", name)
		}
	}
}
