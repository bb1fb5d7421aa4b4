package sign

import (
	"strconv"
	"strings"
)

// Node is a field that may hold nested fields: a tag inside pg_xml, or the
// tree that bracketed form names such as pg_receipt_positions[0][name] build.
// A node with children is a group; its Value is ignored.
type Node struct {
	Name     string
	Value    string
	Children []Node
}

// FlattenNodes turns a tree of fields into the flat list FreedomPay signs.
// Top-level leaves keep their names. Every nested leaf is renamed
// parent + key + sprintf("%03d", position), position counting from 1 among its
// siblings, recursively; sorting by those synthetic names keeps an element's
// values together, keys alphabetical inside it. This is the official SDK's
// makeFlatParamsArray, applied below the top level.
func FlattenNodes(nodes []Node) Fields {
	var out Fields
	var path []byte // the parent's flattened name, shared by its leaves
	for _, n := range nodes {
		if len(n.Children) == 0 {
			out = append(out, Field{n.Name, n.Value})
			continue
		}
		path = append(path[:0], n.Name...)
		out = flattenGroup(out, path, n.Children)
	}
	return out
}

// flattenGroup appends the leaves under a group whose flattened name is
// path. Siblings write their names over one another in path's spare room,
// so a group's name is built once, not once per leaf below it; only a
// leaf's own name becomes a string.
func flattenGroup(out Fields, path []byte, children []Node) Fields {
	for i, c := range children {
		name := appendPad3(append(path, c.Name...), i+1)
		if len(c.Children) == 0 {
			out = append(out, Field{string(name), c.Value})
			continue
		}
		out = flattenGroup(out, name, c.Children)
	}
	return out
}

// appendPad3 appends n as sprintf("%03d") does.
func appendPad3(b []byte, n int) []byte {
	switch {
	case n < 10:
		b = append(b, '0', '0')
	case n < 100:
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// FlatNameBytes is the total length of the names [FlattenNodes] gives
// nodes' leaves, computed without building them: a tree whose leaves
// share a long path can flatten to far more than it was read from.
func FlatNameBytes(nodes []Node) int {
	total := 0
	for _, n := range nodes {
		if len(n.Children) == 0 {
			total += len(n.Name)
			continue
		}
		total += flatGroupBytes(len(n.Name), n.Children)
	}
	return total
}

func flatGroupBytes(prefix int, children []Node) int {
	total := 0
	for i, c := range children {
		name := prefix + len(c.Name) + padLen(i+1)
		if len(c.Children) == 0 {
			total += name
			continue
		}
		total += flatGroupBytes(name, c.Children)
	}
	return total
}

func padLen(n int) int {
	if n < 1000 {
		return 3
	}
	return len(strconv.Itoa(n))
}

// Flatten resolves bracketed names the way PHP parses a form
// (a[0][name]=x becomes a group a, element 0, leaf name) and returns
// [FlattenNodes] of the result. Fields without brackets pass through
// unchanged, in order, so a flat payout form is its own flattening.
func Flatten(fields Fields) Fields {
	if !hasBrackets(fields) {
		return fields
	}
	return FlattenNodes(Tree(fields))
}

func hasBrackets(fields Fields) bool {
	for _, f := range fields {
		if strings.IndexByte(f.Name, '[') > 0 {
			return true
		}
	}
	return false
}

// Tree builds the node tree of a form whose names may carry brackets. Groups
// are created in order of first appearance, as PHP arrays are; "a[]" appends
// with the next integer key. A name whose brackets do not parse is a plain
// leaf. A repeated flat name keeps every value, in order.
func Tree(fields Fields) []Node {
	var root []Node
	for _, f := range fields {
		path, ok := bracketPath(f.Name)
		if !ok {
			root = append(root, Node{Name: f.Name, Value: f.Value})
			continue
		}
		root = insert(root, path, f.Value)
	}
	return root
}

// bracketPath splits "a[b][c]" into [a b c]. It reports false for a name
// without brackets or with malformed ones.
func bracketPath(name string) ([]string, bool) {
	i := strings.IndexByte(name, '[')
	if i <= 0 {
		return nil, false
	}
	path := []string{name[:i]}
	rest := name[i:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, false
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, false
		}
		path = append(path, rest[1:j])
		rest = rest[j+1:]
	}
	return path, true
}

func insert(nodes []Node, path []string, value string) []Node {
	key := path[0]
	if len(path) == 1 {
		return append(nodes, Node{Name: key, Value: value})
	}
	if path[1] == "" { // a[] appends: the next integer key among the children
		path[1] = nextIndex(nodes, key) // path is the caller's own copy
	}
	for i := range nodes {
		if nodes[i].Name == key && len(nodes[i].Children) > 0 {
			nodes[i].Children = insert(nodes[i].Children, path[1:], value)
			return nodes
		}
	}
	return append(nodes, Node{Name: key, Children: insert(nil, path[1:], value)})
}

func nextIndex(nodes []Node, key string) string {
	for _, n := range nodes {
		if n.Name == key {
			next := 0
			for _, c := range n.Children {
				if k, err := strconv.Atoi(c.Name); err == nil && k >= next {
					next = k + 1
				}
			}
			return strconv.Itoa(next)
		}
	}
	return "0"
}

// Nesting is how many levels of brackets a form name nests its value in,
// as [Tree] reads the name: 2 for a[b][c], 0 for a name without brackets
// or with brackets that do not parse (a plain leaf). One pass over the
// name.
func Nesting(name string) int {
	i := strings.IndexByte(name, '[')
	if i <= 0 {
		return 0
	}
	n := 0
	for rest := name[i:]; rest != ""; n++ {
		if rest[0] != '[' {
			return 0
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return 0
		}
		rest = rest[j+1:]
	}
	return n
}
