package determinism

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// governed are the package patterns the law covers, and exempt the ones inside them that
// run in real time by design.
var (
	governed = []string{"github.com/sentinelsim/sentinelsim/sim/...", "github.com/sentinelsim/sentinelsim/netmodel/...", "github.com/sentinelsim/sentinelsim/sentinel/..."}
	exempt   = []string{"github.com/sentinelsim/sentinelsim/sentinel/server", "github.com/sentinelsim/sentinelsim/sim/determinism"}
)

// forbiddenCalls are package-level functions that read the wall clock or a global random
// source. Constructors of seeded generators (rand.New, rand.NewPCG) stay allowed.
var forbiddenCalls = map[string]map[string]bool{
	"time": set("Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"),
	"math/rand": set("Int", "Intn", "Int31", "Int31n", "Int63", "Int63n", "Uint32", "Uint64", "Float32",
		"Float64", "Perm", "Shuffle", "Read", "Seed", "ExpFloat64", "NormFloat64"),
	"math/rand/v2": set("Int", "IntN", "Int32", "Int32N", "Int64", "Int64N", "Uint", "UintN", "Uint32",
		"Uint32N", "Uint64", "Uint64N", "Float32", "Float64", "Perm", "Shuffle", "ExpFloat64", "NormFloat64", "N"),
	"crypto/rand": set("Read", "Int", "Prime", "Text"),
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

const escape = "determinism:ok"

func TestSimulatedCodeIsDeterministic(t *testing.T) {
	pkgs := load(t, governed...)
	checked := 0
	var problems []string
	for _, p := range pkgs {
		if isExempt(p.PkgPath) {
			continue
		}
		checked++
		problems = append(problems, lint(p)...)
	}
	if checked < 3 {
		t.Fatalf("only %d packages checked: the patterns %v no longer match the code", checked, governed)
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func TestLintCatchesEveryRule(t *testing.T) {
	pkgs := load(t, "./testdata/bad")
	got := lint(pkgs[0])
	want := []string{
		"time.Now", "time.Sleep", "time.After", "go statement", "select statement",
		"math/rand.Intn", "math/rand/v2.IntN", "range over a map", "escape without a reason",
	}
	joined := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("the lint missed %q; it reported:\n%s", w, joined)
		}
	}
	// Three map ranges: one excused with a reason, one with a bare escape, which excuses
	// nothing.
	if n := strings.Count(joined, "range over a map"); n != 2 {
		t.Errorf("%d map ranges reported, want 2", n)
	}
	if len(got) != len(want)+1 {
		t.Errorf("reported %d problems, want %d:\n%s", len(got), len(want)+1, joined)
	}
}

func load(t *testing.T, patterns ...string) []*packages.Package {
	t.Helper()
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
		packages.NeedTypes | packages.NeedTypesInfo}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("the packages under the determinism law do not type-check")
	}
	touchSources(t, pkgs)
	return pkgs
}

// touchSources opens every directory and file the lint read. go/packages reads them in a
// child process, which go test's result cache cannot see; without this a cached "ok"
// would survive a change to the code under the law.
func touchSources(t *testing.T, pkgs []*packages.Package) {
	t.Helper()
	for _, p := range pkgs {
		for _, f := range p.GoFiles {
			if _, err := os.ReadDir(filepath.Dir(f)); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(f); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func isExempt(path string) bool {
	for _, e := range exempt {
		if path == e || strings.HasPrefix(path, e+"/") {
			return true
		}
	}
	return false
}

// lint returns one line per rule broken in the package.
func lint(p *packages.Package) []string {
	var out []string
	for _, f := range p.Syntax {
		excused, bare := escapes(p.Fset, f)
		report := func(pos token.Pos, what string) {
			at := p.Fset.Position(pos)
			if excused[at.Line] || excused[at.Line-1] {
				return
			}
			out = append(out, fmt.Sprintf("%s:%d: %s", at.Filename, at.Line, what))
		}
		for _, line := range bare {
			out = append(out, fmt.Sprintf("%s:%d: %s", p.Fset.Position(f.Pos()).Filename, line, "escape without a reason: write why the rule does not apply"))
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				report(n.Pos(), "go statement: the simulator runs everything on one loop")
			case *ast.SelectStmt:
				report(n.Pos(), "select statement: which ready case runs is random")
			case *ast.RangeStmt:
				if _, isMap := p.TypesInfo.TypeOf(n.X).Underlying().(*types.Map); isMap {
					report(n.Pos(), "range over a map: Go randomises the order; sort the keys or keep a slice")
				}
			case *ast.SelectorExpr:
				if fn, ok := p.TypesInfo.Uses[n.Sel].(*types.Func); ok && fn.Pkg() != nil {
					sig, _ := fn.Type().(*types.Signature)
					if sig != nil && sig.Recv() == nil && forbiddenCalls[fn.Pkg().Path()][fn.Name()] {
						report(n.Pos(), fn.Pkg().Path()+"."+fn.Name()+": wall clock or global randomness; use the injected clock and seeded stream")
					}
				}
			}
			return true
		})
	}
	return out
}

// escapes finds the //determinism:ok comments of a file: the lines excused (with a
// reason) and the lines whose escape gives none.
func escapes(fset *token.FileSet, f *ast.File) (excused map[int]bool, bare []int) {
	excused = map[int]bool{}
	for _, group := range f.Comments {
		for _, c := range group.List {
			text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			if !strings.HasPrefix(text, escape) {
				continue
			}
			line := fset.Position(c.Pos()).Line
			if strings.TrimSpace(strings.TrimPrefix(text, escape)) == "" {
				bare = append(bare, line)
				continue
			}
			excused[line] = true
		}
	}
	return excused, bare
}
