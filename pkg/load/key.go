package load

import (
	"bytes"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// The cache key of an environment's evaluation holds the environment as
// written. It is read off the syntax tree, not the CUE value: the tree is
// plain data, so every environment is keyed in parallel, where CUE values
// may be read by one goroutine only.

// envSyntax returns the syntax of the file's charts field and of each
// environment, by name. ok is false when environments is not a plain
// mapping of plain fields.
func envSyntax(f *ast.File) (charts ast.Expr, envs map[string]ast.Expr, ok bool) {
	envs = map[string]ast.Expr{}
	for _, d := range f.Decls {
		field, isField := d.(*ast.Field)
		if !isField {
			continue
		}
		switch name, _, _ := ast.LabelName(field.Label); name {
		case "charts":
			charts = field.Value
		case "environments":
			s, isStruct := field.Value.(*ast.StructLit)
			if !isStruct {
				return nil, nil, false
			}
			for _, e := range s.Elts {
				ef, isField := e.(*ast.Field)
				if !isField {
					return nil, nil, false
				}
				name, _, err := ast.LabelName(ef.Label)
				if err != nil {
					return nil, nil, false
				}
				envs[name] = ef.Value
			}
		}
	}
	return charts, envs, true
}

// writeData writes a data literal (what YAML and JSON make: structs,
// lists, strings, numbers, booleans and null, the last three as BasicLit)
// so that two literals are written alike only if they are the same data.
// It returns false for anything else.
func writeData(b *bytes.Buffer, n ast.Expr) bool {
	switch n := n.(type) {
	case *ast.StructLit:
		b.WriteByte('{')
		for _, d := range n.Elts {
			f, ok := d.(*ast.Field)
			if !ok || len(f.Attrs) > 0 || f.Alias != nil || f.Constraint != token.ILLEGAL {
				return false
			}
			name, _, err := ast.LabelName(f.Label)
			if err != nil {
				return false
			}
			b.WriteString(strconv.Quote(name))
			b.WriteByte(':')
			if !writeData(b, f.Value) {
				return false
			}
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case *ast.ListLit:
		b.WriteByte('[')
		for _, e := range n.Elts {
			if !writeData(b, e) {
				return false
			}
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case *ast.BasicLit:
		// The literal's text, with its kind: the same text of the same
		// kind is the same value.
		b.WriteString(n.Kind.String())
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(n.Value))
	case *ast.UnaryExpr:
		if n.Op != token.SUB && n.Op != token.ADD {
			return false
		}
		b.WriteString(n.Op.String())
		return writeData(b, n.X)
	default:
		return false
	}
	return true
}
