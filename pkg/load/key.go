package load

import (
	"bytes"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/schema"
)

// The cache key of an environment's evaluation holds the environment as
// written. It is read off the syntax tree, not the CUE value: the tree is
// plain data, so every environment is keyed in parallel, and before CUE
// has built the file, where CUE values may be read by one goroutine only.

// keyer keys the evaluations of a file's environments: by the schema, the
// environment as written and what the pattern's context holds (the file's
// charts block).
type keyer struct {
	schemaID   buildcache.Key
	charts     []byte
	envs       map[string]ast.Expr
	claimsOnly bool
}

// newKeyer returns nil when the file's evaluations are not cached: without
// a cache, and for an environments file written in CUE, which may hold
// constraints and references (only data can be keyed by what it says).
func newKeyer(src source) *keyer {
	if src.opts.Cache == nil || format(src.name) == "cue" {
		return nil
	}
	chartsSyntax, envs, ok := envSyntax(src.syntax)
	if !ok {
		return nil
	}
	var charts bytes.Buffer
	if chartsSyntax != nil && !writeData(&charts, chartsSyntax) {
		return nil
	}
	// The schema's sources, policies included.
	var sources [][]byte
	for _, s := range schema.Sources(src.policies...) {
		sources = append(sources, []byte(s.Name), s.Data)
	}
	return &keyer{schemaID: buildcache.NewKey("schema", sources...), charts: charts.Bytes(),
		envs: envs, claimsOnly: src.opts.ClaimsOnly}
}

// keys returns the key of the evaluation of environment name with its
// pattern and, for a claims-only evaluation, the key of the complete one,
// which holds the claims too (so validate after a build evaluates
// nothing). Both are zero for an environment that cannot be keyed.
func (k *keyer) keys(name, pattern string) (key, full buildcache.Key) {
	var env bytes.Buffer
	if e, ok := k.envs[name]; !ok || !writeData(&env, e) {
		return
	}
	mk := func(kind string) buildcache.Key {
		return buildcache.NewKey(kind, k.schemaID[:], exportShape(), []byte(pattern), []byte(name),
			k.charts, env.Bytes())
	}
	if k.claimsOnly {
		return mk("claims"), mk("env")
	}
	return mk("env"), buildcache.Key{}
}

// patternOf is the pattern an environment's syntax names, when it is a
// string literal.
func patternOf(env ast.Expr) (string, bool) {
	s, ok := env.(*ast.StructLit)
	if !ok {
		return "", false
	}
	return fieldString(s, "pattern")
}

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
