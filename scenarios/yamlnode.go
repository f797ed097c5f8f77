package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// ynode wraps a YAML syntax node so that every conversion error says where it is: the
// file, the line, and what was expected.
type ynode struct {
	n    ast.Node
	file string
	// anchors are the file's &anchors by name, so that *aliases read as what they name.
	anchors map[string]ast.Node
}

// newRoot wraps a document's body, collecting its anchors.
func newRoot(body ast.Node, file string) ynode {
	anchors := map[string]ast.Node{}
	ast.Walk(anchorCollector(anchors), body)
	return ynode{n: body, file: file, anchors: anchors}
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

// child wraps a node of the same file, looking through anchors and aliases.
func (y ynode) child(n ast.Node) ynode {
	for depth := 0; depth < 32; depth++ {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
			continue
		case *ast.AliasNode:
			if target, ok := y.anchors[x.Value.GetToken().Value]; ok {
				n = target
				continue
			}
		}
		break
	}
	return ynode{n: n, file: y.file, anchors: y.anchors}
}

// posError is an error at a place in a scenario file.
type posError struct {
	File string
	Line int
	Msg  string
}

func (e *posError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

func (y ynode) line() int {
	if y.n == nil || y.n.GetToken() == nil {
		return 1
	}
	return y.n.GetToken().Position.Line
}

func (y ynode) errorf(format string, args ...any) error {
	return &posError{File: y.file, Line: y.line(), Msg: fmt.Sprintf(format, args...)}
}

// entry is one key of a mapping, with its value.
type entry struct {
	key   string
	keyAt ynode
	val   ynode
}

// mapping returns a mapping's entries in file order; a duplicate key is an error.
func (y ynode) mapping(what string) ([]entry, error) {
	var values []*ast.MappingValueNode
	switch n := y.n.(type) {
	case *ast.MappingNode:
		values = n.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{n}
	default:
		return nil, y.errorf("%s must be a mapping of keys to values", what)
	}
	seen := map[string]bool{}
	out := make([]entry, 0, len(values))
	for _, v := range values {
		k := y.child(v.Key)
		key, err := k.str("a key")
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, k.errorf("%s repeats the key %q", what, key)
		}
		seen[key] = true
		out = append(out, entry{key: key, keyAt: k, val: y.child(v.Value)})
	}
	return out, nil
}

// checked returns a mapping's entries in file order after checking their keys against the
// allowed ones.
func (y ynode) checked(what string, allowed ...string) ([]entry, error) {
	entries, err := y.mapping(what)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !contains(allowed, e.key) {
			return nil, e.keyAt.errorf("unknown key %q in %s (allowed: %s)", e.key, what, strings.Join(allowed, ", "))
		}
	}
	return entries, nil
}

// fields is checked, by key.
func (y ynode) fields(what string, allowed ...string) (map[string]ynode, error) {
	entries, err := y.checked(what, allowed...)
	if err != nil {
		return nil, err
	}
	out := map[string]ynode{}
	for _, e := range entries {
		out[e.key] = e.val
	}
	return out, nil
}

func (y ynode) isMapping() bool {
	switch y.n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

func (y ynode) list(what string) ([]ynode, error) {
	seq, ok := y.n.(*ast.SequenceNode)
	if !ok {
		return nil, y.errorf("%s must be a list", what)
	}
	out := make([]ynode, len(seq.Values))
	for i, v := range seq.Values {
		out[i] = y.child(v)
	}
	return out, nil
}

// str returns a scalar as text: strings as written, numbers and booleans as in the file.
func (y ynode) str(what string) (string, error) {
	switch n := y.n.(type) {
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode: // a block scalar, | or >
		return strings.TrimSpace(n.Value.Value), nil
	case *ast.NullNode:
		return "", nil
	case ast.ScalarNode:
		return n.GetToken().Value, nil
	}
	return "", y.errorf("%s must be a single value", what)
}

// strs accepts a list of scalars, or one scalar as a list of one.
func (y ynode) strs(what string) ([]string, error) {
	if _, isList := y.n.(*ast.SequenceNode); !isList {
		s, err := y.str(what)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	items, err := y.list(what)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		if out[i], err = it.str(what + " item"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (y ynode) duration(what string) (time.Duration, error) {
	s, err := y.str(what)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, y.errorf("%s: %q is not a duration; write it with a unit, like 10s or 500ms", what, s)
	}
	return d, nil
}

func (y ynode) integer(what string) (int64, error) {
	s, err := y.str(what)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, y.errorf("%s: %q is not an integer", what, s)
	}
	return n, nil
}

func (y ynode) float(what string) (float64, error) {
	s, err := y.str(what)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, y.errorf("%s: %q is not a number", what, s)
	}
	return f, nil
}

func (y ynode) boolean(what string) (bool, error) {
	s, err := y.str(what)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, y.errorf("%s: %q is not true or false", what, s)
}
