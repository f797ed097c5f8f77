package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// workflow is the part of a GitHub Actions workflow the test checks.
type workflow struct {
	On struct {
		Schedule []struct {
			Cron string `yaml:"cron"`
		} `yaml:"schedule"`
	} `yaml:"on"`
	Jobs map[string]struct {
		RunsOn   string `yaml:"runs-on"`
		Needs    any    `yaml:"needs"`
		Strategy struct {
			Matrix map[string][]any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// The nightly workflow is well formed: a valid schedule, jobs that exist and run
// somewhere, matrix variables that are defined, make targets that exist, and every
// sentinelsim command line accepted by the CLI's own flag parser. (actionlint is not
// available offline; this checks what would break the workflow here.)
func TestNightlyWorkflow(t *testing.T) {
	src, err := os.ReadFile("../../.github/workflows/nightly.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(src, &wf); err != nil {
		t.Fatalf("nightly.yml: %v", err)
	}
	if len(wf.On.Schedule) == 0 || len(strings.Fields(wf.On.Schedule[0].Cron)) != 5 {
		t.Errorf("schedule %+v: want one five-field cron", wf.On.Schedule)
	}
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	expr := regexp.MustCompile(`\$\{\{\s*matrix\.(\w+)\s*\}\}`)
	for name, job := range wf.Jobs {
		if job.RunsOn == "" || len(job.Steps) == 0 {
			t.Errorf("job %s: runs-on %q, %d steps", name, job.RunsOn, len(job.Steps))
		}
		if needs, ok := job.Needs.(string); ok {
			if _, found := wf.Jobs[needs]; !found {
				t.Errorf("job %s needs %s, which does not exist", name, needs)
			}
		}
		for _, step := range job.Steps {
			if step.Uses == "" && step.Run == "" {
				t.Errorf("job %s has a step that neither uses nor runs anything", name)
			}
			for _, m := range expr.FindAllStringSubmatch(step.Run, -1) {
				if _, ok := job.Strategy.Matrix[m[1]]; !ok {
					t.Errorf("job %s uses matrix.%s, which its matrix does not define", name, m[1])
				}
			}
			if target, ok := strings.CutPrefix(lastCommand(step.Run), "make "); ok &&
				!strings.Contains(string(makefile), "\n"+target+":") {
				t.Errorf("job %s runs make %s, which the Makefile does not define", name, target)
			}
			if _, args, ok := strings.Cut(step.Run, "./cmd/sentinelsim "); ok {
				checkCommandLine(t, name, expr.ReplaceAllString(args, "1"))
			}
		}
	}
}

// lastCommand is the last command of a shell line ("sudo env ... make nightly").
func lastCommand(run string) string {
	if i := strings.Index(run, "make "); i >= 0 {
		return run[i:]
	}
	return ""
}

// checkCommandLine parses a sentinelsim command line with the CLI's own commands and
// flags, without running it.
func checkCommandLine(t *testing.T, job, line string) {
	t.Helper()
	args := strings.Fields(line)
	top := root()
	cmd, rest, err := top.Find(args)
	if err == nil {
		err = cmd.ParseFlags(rest)
	}
	if err != nil || cmd == top {
		t.Errorf("job %s: sentinelsim %s: %v", job, line, err)
	}
}
