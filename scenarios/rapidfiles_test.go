package scenarios_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rapid replays testdata/rapid/<Test>/<Test>-*.fail before each run of <Test>. A file in
// any other place, or kept for a test that was renamed, is never replayed, silently: the
// bug it holds is no longer tested. Every fail file here must be where rapid looks.
func TestRapidFailFilesAreWhereRapidLooks(t *testing.T) {
	if _, err := os.Stat("testdata/rapid/README.md"); err != nil {
		t.Fatalf("testdata/rapid/README.md, which explains the fail files, is missing: %v", err)
	}
	tests := testNames(t)
	err := filepath.WalkDir("testdata/rapid", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == filepath.Join("testdata", "rapid", "README.md") {
			return err
		}
		dir := filepath.Base(filepath.Dir(path))
		switch {
		case filepath.Dir(filepath.Dir(path)) != filepath.Join("testdata", "rapid"):
			t.Errorf("%s: rapid reads fail files only from testdata/rapid/<Test>/", path)
		case !tests[dir]:
			t.Errorf("%s: no test %s in this package replays it (renamed?)", path, dir)
		case !strings.HasPrefix(d.Name(), dir+"-") || !strings.HasSuffix(d.Name(), ".fail"):
			t.Errorf("%s: rapid replays only %s-*.fail", path, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each property replays at least one committed case, so that a change that breaks the
	// replay of fail files shows on every run, not only once a property fails.
	for _, name := range rapidProperties(t) {
		files, _ := filepath.Glob(filepath.Join("testdata", "rapid", name, name+"-*.fail"))
		if len(files) == 0 {
			t.Errorf("%s has no fail file in testdata/rapid/%s/: rapid's replay of one is untested", name, name)
		}
	}
}

// testNames are the test functions of this package's test files.
func testNames(t *testing.T) map[string]bool {
	names := map[string]bool{}
	for _, fn := range testFuncs(t) {
		names[fn.Name.Name] = true
	}
	return names
}

// rapidProperties are the test functions that call rapid.Check, sorted.
func rapidProperties(t *testing.T) []string {
	var names []string
	for _, fn := range testFuncs(t) {
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, isID := sel.X.(*ast.Ident); isID && id.Name == "rapid" && sel.Sel.Name == "Check" {
				names = append(names, fn.Name.Name)
				return false
			}
			return true
		})
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// testFuncs are the Test functions declared in this package's test files.
func testFuncs(t *testing.T) []*ast.FuncDecl {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.FuncDecl
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				out = append(out, fn)
			}
		}
	}
	return out
}
