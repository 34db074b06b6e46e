package load

import (
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/pkg/diag"
)

// maxDepth bounds how deeply a YAML or JSON file nests. The deepest real
// file nests some 15 levels (a release's values); a file nested thousands
// deep, a few kilobytes written in flow style, became a tree of tens of
// megabytes and minutes of work (each level indents every line below it).
const maxDepth = 64

// checkText refuses, in a YAML or JSON file's syntax tree, what the
// generated tree could not carry to kustomize and Helm: nesting deeper
// than maxDepth, and strings holding a control character or a Unicode
// noncharacter (written as an escape: YAML refuses them raw), which YAML
// readers refuse or change (U+0085 becomes a line break).
func checkText(name string, f *ast.File) diag.List {
	var diags diag.List
	// path is the node's place: fields and list indexes, named only for
	// an error.
	type step struct {
		field *ast.Field // nil for a list item
		index int
	}
	var path []step
	at := func() string {
		parts := make([]string, len(path))
		for i, s := range path {
			if s.field == nil {
				parts[i] = strconv.Itoa(s.index)
			} else {
				parts[i], _, _ = ast.LabelName(s.field.Label)
			}
		}
		return joinPath(parts)
	}
	tooDeep := func(n ast.Node) bool {
		diags.Errorf(fromToken(name, n.Pos()), at(),
			"nested more than %d levels deep; no environments file needs that many", maxDepth)
		return false
	}
	var walk func(n ast.Node, depth int) bool
	walk = func(n ast.Node, depth int) bool {
		switch n := n.(type) {
		case *ast.File:
			for _, d := range n.Decls {
				if !walk(d, depth) {
					return false
				}
			}
		case *ast.Field:
			path = append(path, step{field: n})
			ok := walk(n.Value, depth)
			path = path[:len(path)-1]
			return ok
		case *ast.StructLit:
			if depth == maxDepth {
				return tooDeep(n)
			}
			for _, d := range n.Elts {
				if !walk(d, depth+1) {
					return false
				}
			}
		case *ast.ListLit:
			if depth == maxDepth {
				return tooDeep(n)
			}
			for i, e := range n.Elts {
				path = append(path, step{index: i})
				ok := walk(e, depth+1)
				path = path[:len(path)-1]
				if !ok {
					return false
				}
			}
		case *ast.BasicLit:
			// YAML says such a character only as an escape; JSON also
			// raw (DEL, and C1 and noncharacters, which are not ASCII).
			if n.Kind == token.STRING && (strings.Contains(n.Value, `\`) || notPlainASCII(n.Value)) {
				if s, err := literal.Unquote(n.Value); err == nil {
					if r, ok := badRune(s); ok {
						diags.Errorf(fromToken(name, n.Pos()), at(),
							"the string holds %U, a control character or noncharacter, which YAML readers refuse or change; remove it", r)
					}
				}
			}
		}
		return true
	}
	walk(f, 1) // the file is the first level, its top mapping
	return diags
}

// notPlainASCII reports whether s has a byte outside printable ASCII.
func notPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f {
			return true
		}
	}
	return false
}

// badRune is the first rune of s that is a control character other than
// tab, line feed and carriage return, or a Unicode noncharacter.
func badRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\t', r == '\n', r == '\r':
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
			return r, true
		}
	}
	return 0, false
}
