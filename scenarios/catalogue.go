package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// The catalogue is a folder of scenario files compiled into the binary: each is also an
// example of the format for people writing their own.
//
//go:embed catalogue/*.yaml
var catalogueFS embed.FS

// Catalogue returns every catalogued scenario, sorted by name.
func Catalogue() ([]*Scenario, error) {
	files, err := fs.Glob(catalogueFS, "catalogue/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, f := range files {
		src, err := catalogueFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s, err := Parse(f, src)
		if err != nil {
			return nil, err
		}
		if want := path.Base(f); want != s.Name+".yaml" {
			return nil, fmt.Errorf("%s holds scenario %q: name the file after it", f, s.Name)
		}
		s.Source = "catalogue"
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Lookup returns the catalogued scenario called name.
func Lookup(name string) (*Scenario, error) {
	all, err := Catalogue()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("no scenario called %q; the catalogue has: %v", name, names)
}
