package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/sentinelsim/sentinelsim/scenarios"
)

// The workflows pass actionlint (syntax, expressions and the matrix values they use,
// cron schedules, job dependencies, runner labels, the inputs of known actions), and
// they and the Makefile's nightly targets stay in step with the CLI: every make target a
// step runs exists, and every sentinelsim command line, in a workflow once per
// combination of its matrix and in the Makefile, is accepted by the CLI's own parser
// and names scenarios of the catalogue. (shellcheck is not run on the steps' scripts.)
// One workflow runs on every push and pull request, and it runs make lint and make test.
func TestWorkflows(t *testing.T) {
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	makefile := string(readFile(t, "../../Makefile"))
	ci := false
	for _, file := range files {
		wf := lintWorkflow(t, file)
		targets := checkWorkflowSteps(t, filepath.Base(file), wf, makefile)
		if onEveryChange(wf) && slices.Contains(targets, "lint") && slices.Contains(targets, "test") {
			ci = true
		}
	}
	if !ci {
		t.Error("no workflow runs make lint and make test on every push and pull request")
	}
	recipes := regexp.MustCompile(`(?m)^\t(?:\S+=\S+ )*bin/sentinelsim (.*)$`).FindAllStringSubmatch(makefile, -1)
	if len(recipes) == 0 {
		t.Error("the Makefile runs no bin/sentinelsim command line")
	}
	for _, m := range recipes {
		checkCommandLine(t, "Makefile", m[1])
	}
}

// lintWorkflow reports what actionlint finds in a workflow file, and parses it.
func lintWorkflow(t *testing.T, file string) *actionlint.Workflow {
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := readFile(t, file)
	errs, err := linter.Lint(file, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(file), e.Line, e.Column, e.Message, e.Kind)
	}
	wf, _ := actionlint.Parse(src)
	if wf == nil {
		t.Fatalf("%s does not parse", file)
	}
	return wf
}

// onEveryChange says whether a workflow runs on every push and every pull request.
func onEveryChange(wf *actionlint.Workflow) bool {
	var push, pull bool
	for _, e := range wf.On {
		if w, ok := e.(*actionlint.WebhookEvent); ok && w.Branches.IsEmpty() && w.BranchesIgnore.IsEmpty() && w.Paths.IsEmpty() && w.PathsIgnore.IsEmpty() {
			push = push || w.Hook.Value == "push"
			pull = pull || w.Hook.Value == "pull_request"
		}
	}
	return push && pull
}

// checkWorkflowSteps checks the make targets and sentinelsim command lines of a
// workflow's steps, and returns the make targets it runs.
func checkWorkflowSteps(t *testing.T, where string, wf *actionlint.Workflow, makefile string) []string {
	var targets []string
	for name, job := range wf.Jobs {
		for _, step := range job.Steps {
			run, ok := step.Exec.(*actionlint.ExecRun)
			if !ok || run.Run == nil {
				continue
			}
			for _, line := range expandMatrix(t, name, job, run.Run.Value) {
				if target, ok := strings.CutPrefix(lastCommand(line), "make "); ok {
					if !strings.Contains(makefile, "\n"+target+":") {
						t.Errorf("%s: job %s runs make %s, which the Makefile does not define", where, name, target)
					}
					targets = append(targets, target)
				}
				if _, args, ok := strings.Cut(line, "./cmd/sentinelsim "); ok {
					checkCommandLine(t, where+": job "+name, args)
				}
			}
		}
	}
	return targets
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
