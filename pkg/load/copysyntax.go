package load

import "cuelang.org/go/cue/ast"

// copyData copies the syntax tree of a file written as data (YAML or
// JSON): structs, lists, fields and literals, as their extractors make
// them. A second CUE context cannot build the tree the first built, which
// resolved its identifiers in place; copying it is cheaper than parsing
// the file again. ok is false for a node of another kind (the caller
// parses the file again); a file written in CUE is never copied.
//
// Each node is copied as a value, with its positions; its comments are
// shared, as building only reads them. An identifier loses what resolving
// it set, for the new context to set.
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
		out[i] = x
		if !copyInto(&out[i]) {
			return nil, false
		}
	}
	return out, true
}

// copyInto replaces *x by a copy of it (copyNode); false if it is not data.
func copyInto[T ast.Node](x *T) bool {
	c, ok := copyNode(*x).(T)
	if ok {
		*x = c
	}
	return ok
}

// copyNode is copyData's work on a node; nil for a node it does not copy.
// Each case copies the node's struct, then the children in the copy.
func copyNode(n ast.Node) ast.Node {
	var ok bool
	switch n := n.(type) {
	case *ast.Field:
		c := *n
		ok = n.Alias == nil && len(n.Attrs) == 0 && copyInto(&c.Label) && copyInto(&c.Value)
		return pick(ok, &c)
	case *ast.EmbedDecl:
		c := *n
		return pick(copyInto(&c.Expr), &c)
	case *ast.StructLit:
		c := *n
		c.Elts, ok = copyAll(n.Elts)
		return pick(ok, &c)
	case *ast.ListLit:
		c := *n
		c.Elts, ok = copyAll(n.Elts)
		return pick(ok, &c)
	case *ast.UnaryExpr:
		c := *n
		return pick(copyInto(&c.X), &c)
	case *ast.BinaryExpr:
		c := *n
		return pick(copyInto(&c.X) && copyInto(&c.Y), &c)
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

// pick is c when ok, else nil.
func pick(ok bool, c ast.Node) ast.Node {
	if !ok {
		return nil
	}
	return c
}
