package load

import "cuelang.org/go/cue/ast"

// copyData copies the syntax tree of a file written as data (YAML or
// JSON): structs, lists, fields and literals, as their extractors make
// them. A second CUE context cannot build the tree the first built, which
// resolved its identifiers in place; copying it is cheaper than parsing
// the file again. ok is false for a node of another kind (the caller
// parses the file again); a file written in CUE is never copied.
//
// Each node is copied as a value, positions and comments with it; an
// identifier loses what resolving it set, for the new context to set.
func copyData(f *ast.File) (*ast.File, bool) {
	c := *f
	var ok bool
	c.Decls, ok = copyAll(f.Decls)
	return &c, ok
}

// copyAll copies each node of xs (copyNode).
func copyAll[T ast.Node](xs []T) ([]T, bool) {
	out := make([]T, len(xs))
	for i, x := range xs {
		c, ok := copyNode(x).(T)
		if !ok {
			return nil, false
		}
		out[i] = c
	}
	return out, true
}

// copyNode is copyData's work on a node; nil for a node it does not copy.
func copyNode(n ast.Node) ast.Node {
	switch n := n.(type) {
	case *ast.Field:
		if n.Alias != nil || len(n.Attrs) > 0 {
			return nil
		}
		c := *n
		label, ok1 := copyNode(n.Label).(ast.Label)
		value, ok2 := copyNode(n.Value).(ast.Expr)
		if !ok1 || !ok2 {
			return nil
		}
		c.Label, c.Value = label, value
		return &c
	case *ast.EmbedDecl:
		c := *n
		x, ok := copyNode(n.Expr).(ast.Expr)
		if !ok {
			return nil
		}
		c.Expr = x
		return &c
	case *ast.StructLit:
		c := *n
		var ok bool
		if c.Elts, ok = copyAll(n.Elts); !ok {
			return nil
		}
		return &c
	case *ast.ListLit:
		c := *n
		var ok bool
		if c.Elts, ok = copyAll(n.Elts); !ok {
			return nil
		}
		return &c
	case *ast.UnaryExpr:
		c := *n
		x, ok := copyNode(n.X).(ast.Expr)
		if !ok {
			return nil
		}
		c.X = x
		return &c
	case *ast.BinaryExpr:
		c := *n
		x, ok1 := copyNode(n.X).(ast.Expr)
		y, ok2 := copyNode(n.Y).(ast.Expr)
		if !ok1 || !ok2 {
			return nil
		}
		c.X, c.Y = x, y
		return &c
	case *ast.BasicLit:
		c := *n
		return &c
	case *ast.Ident:
		c := *n
		c.Scope, c.Node = nil, nil
		return &c
	}
	return nil
}
