package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/sentinelsim/sentinelsim/scenarios"
)

const workflowFile = "../../.github/workflows/nightly.yml"

// The nightly workflow passes actionlint (syntax, expressions and the matrix values they
// use, cron schedules, job dependencies, runner labels, the inputs of known actions), and
// it and the Makefile's nightly targets stay in step with the CLI: every make target a
// step runs exists, and every sentinelsim command line, in the workflow once per
// combination of its matrix and in the Makefile, is accepted by the CLI's own parser
// and names scenarios of the catalogue. (shellcheck is not run on the steps' scripts.)
func TestNightlyWorkflow(t *testing.T) {
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := readFile(t, workflowFile)
	errs, err := linter.Lint(workflowFile, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: nightly.yml:%d:%d: %s [%s]", e.Line, e.Column, e.Message, e.Kind)
	}
	wf, _ := actionlint.Parse(src)
	if wf == nil {
		t.Fatal("nightly.yml does not parse")
	}
	makefile := string(readFile(t, "../../Makefile"))
	for name, job := range wf.Jobs {
		for _, step := range job.Steps {
			run, ok := step.Exec.(*actionlint.ExecRun)
			if !ok || run.Run == nil {
				continue
			}
			for _, line := range expandMatrix(t, name, job, run.Run.Value) {
				if target, ok := strings.CutPrefix(lastCommand(line), "make "); ok &&
					!strings.Contains(makefile, "\n"+target+":") {
					t.Errorf("job %s runs make %s, which the Makefile does not define", name, target)
				}
				if _, args, ok := strings.Cut(line, "./cmd/sentinelsim "); ok {
					checkCommandLine(t, "job "+name, args)
				}
			}
		}
	}
	recipes := regexp.MustCompile(`(?m)^\t(?:\S+=\S+ )*bin/sentinelsim (.*)$`).FindAllStringSubmatch(makefile, -1)
	if len(recipes) == 0 {
		t.Error("the Makefile runs no bin/sentinelsim command line")
	}
	for _, m := range recipes {
		checkCommandLine(t, "Makefile", m[1])
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var matrixExpr = regexp.MustCompile(`\$\{\{\s*matrix\.(\w+)\s*\}\}`)

// expandMatrix is a step's script once for every combination of its job's matrix, with
// each ${{ matrix.KEY }} replaced by its value there.
func expandMatrix(t *testing.T, job string, j *actionlint.Job, script string) []string {
	t.Helper()
	if j.Strategy == nil || j.Strategy.Matrix == nil {
		return []string{script}
	}
	m := j.Strategy.Matrix
	if m.Include != nil || m.Exclude != nil || m.Expression != nil {
		t.Errorf("job %s: the test expands plain matrices only, not include, exclude or expressions", job)
	}
	combos := []map[string]string{{}}
	keys := make([]string, 0, len(m.Rows))
	for k := range m.Rows { //determinism:ok sorted below
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var next []map[string]string
		for _, c := range combos {
			for _, v := range m.Rows[k].Values {
				n := map[string]string{k: yamlScalar(v)}
				for kk, vv := range c { //determinism:ok copying
					n[kk] = vv
				}
				next = append(next, n)
			}
		}
		combos = next
	}
	var out []string
	for _, c := range combos {
		out = append(out, matrixExpr.ReplaceAllStringFunc(script, func(e string) string {
			return c[strings.ToLower(matrixExpr.FindStringSubmatch(e)[1])]
		}))
	}
	return out
}

func yamlScalar(v actionlint.RawYAMLValue) string {
	if s, ok := v.(*actionlint.RawYAMLString); ok {
		return s.Value
	}
	return v.String()
}

// lastCommand is the last command of a shell line ("sudo env ... make nightly").
func lastCommand(run string) string {
	if i := strings.Index(run, "make "); i >= 0 {
		return run[i:]
	}
	return ""
}

// checkCommandLine parses a sentinelsim command line with the CLI's own commands and
// flags, without running it, and looks up the scenario it names in the catalogue.
func checkCommandLine(t *testing.T, where, line string) {
	t.Helper()
	args := strings.Fields(line)
	top := root()
	cmd, rest, err := top.Find(args)
	if err == nil {
		err = cmd.ParseFlags(rest)
	}
	if err == nil && cmd == top {
		err = fmt.Errorf("no command")
	}
	if f := cmd.Flags().Lookup("scenario"); err == nil && f != nil && f.Changed {
		_, err = scenarios.Lookup(f.Value.String())
	}
	if err != nil {
		t.Errorf("%s: sentinelsim %s: %v", where, line, err)
	}
}
