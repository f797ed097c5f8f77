package scenarios_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
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
}

// testNames are the test functions of this package's test files.
func testNames(t *testing.T) map[string]bool {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				names[fn.Name.Name] = true
			}
		}
	}
	return names
}
