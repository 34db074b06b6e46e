package schema

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/internal/suggest"
)

// checkedDefs are the definitions that describe what a user writes, under
// which a policy may constrain fields but not add them. CUE takes a field
// that a policy adds to its own declaration of a definition as part of
// it, so a misspelt one (#File: enviroments: ..., #Cluster: sever: ...)
// would constrain nothing, in silence. Of #Patterns only the pattern names
// and their `in` are checked: much of what a pattern computes exists only
// in a build (under `if ctx.build`).
var checkedDefs = []string{"#File", "#Cluster", "#EnvCommon", "#Charts", "#ChartRef", "#GuardedValues", "#Patterns"}

// BuildChecked is Build, then refuses a field that a policy declares
// under one of checkedDefs where apkgen's schema has none: each at the
// policy's field, with the schema's path, suggesting the field meant. It
// parses every file once.
func BuildChecked(ctx *cue.Context, policies ...Source) (cue.Value, error) {
	files, err := parse(policies)
	if err != nil {
		return cue.Value{}, err
	}
	v, err := files.build(ctx)
	if err != nil || len(policies) == 0 {
		return v, err
	}
	if err := files.check(ctx); err != nil {
		return cue.Value{}, err
	}
	return v, nil
}

// check is BuildChecked's refusal, of the parsed policies. It builds apkgen's own
// files again, alone, in ctx: in the schema with the policies, a field a
// policy declares is the schema's too.
func (files parsedFiles) check(ctx *cue.Context) error {
	own, err := parsedFiles{own: files.own}.build(ctx)
	if err != nil {
		return err
	}
	c := policyCheck{own: own}
	for _, f := range files.policies {
		for _, d := range f.Decls {
			name, _, ok := topLabel(d)
			if ok && slices.Contains(checkedDefs, name) {
				c.fields([]cue.Value{own.LookupPath(cue.ParsePath(name))}, d.(*ast.Field).Value, []string{name})
			}
		}
	}
	return c.errs
}

type policyCheck struct {
	own  cue.Value // the schema without policies
	errs cueerrors.Error
}

// fields checks the fields of a policy's expression x against the
// schema's values at path (a field is known if one of them allows it),
// and descends into those it knows, on both sides of an & or a |.
func (c *policyCheck) fields(at []cue.Value, x ast.Expr, path []string) {
	eachField(x, func(f *ast.Field) { c.field(at, f, path) })
}

func (c *policyCheck) field(at []cue.Value, field *ast.Field, path []string) {
	name, next := "[string]", []cue.Value(nil)
	if _, pattern := field.Label.(*ast.ListLit); pattern {
		for _, v := range at {
			if p := v.LookupPath(cue.MakePath(cue.AnyString)); p.Exists() {
				next = append(next, p)
			}
		}
	} else {
		label, isIdent, err := ast.LabelName(field.Label)
		if err != nil || isIdent && strings.HasPrefix(label, "#") || strings.HasPrefix(label, "_") {
			return // a computed label, a definition or a hidden field: the policy's own
		}
		if !slices.ContainsFunc(at, func(v cue.Value) bool { return v.Allows(cue.Str(label)) }) {
			c.unknown(field, label, at, path)
			return
		}
		name, next = label, children(at, label)
	}
	path = append(slices.Clip(path), pathLabel(name))
	switch {
	case len(path) == 3 && path[0] == "#File" && path[1] == "environments":
		// The file leaves an environment open: its pattern checks it.
		next = c.patternInputs()
	case len(path) == 3 && path[0] == "#Patterns" && name != "in":
		return // what a pattern computes (checkedDefs)
	}
	if len(next) > 0 {
		c.fields(next, field.Value, path)
	}
}

// children are the values of field label in each of at: required,
// optional or regular, else the pattern constraint that applies to it.
func children(at []cue.Value, label string) []cue.Value {
	var out []cue.Value
	for _, v := range at {
		for _, s := range []cue.Selector{cue.Str(label), cue.Str(label).Optional(), cue.Str(label).Required(), cue.AnyString} {
			if child := v.LookupPath(cue.MakePath(s)); child.Exists() {
				out = append(out, child)
				break
			}
		}
	}
	return out
}

// patternInputs are the environments of every pattern (#Patterns[id].in).
func (c *policyCheck) patternInputs() []cue.Value {
	var out []cue.Value
	it, err := c.own.LookupPath(cue.ParsePath("#Patterns")).Fields()
	for err == nil && it.Next() {
		out = append(out, it.Value().LookupPath(cue.ParsePath("in")))
	}
	return out
}

// unknown reports a field the schema does not have at path.
func (c *policyCheck) unknown(field *ast.Field, label string, at []cue.Value, path []string) {
	var known []string
	for _, v := range at {
		it, err := v.Fields(cue.Optional(true))
		for err == nil && it.Next() {
			if s := it.Selector().Unquoted(); !slices.Contains(known, s) {
				known = append(known, s)
			}
		}
	}
	msg := fmt.Sprintf("apkgen's schema has no field %q here, so the rule constrains nothing (a policy can constrain the schema's fields, not add new ones)", label)
	if best := suggest.Closest(label, known); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	c.errs = cueerrors.Append(c.errs, &pathError{pos: field.Label.Pos(), path: append(slices.Clip(path), pathLabel(label)), msg: msg})
}

// pathLabel is a label as CUE writes it in a path: quoted unless an
// identifier ("dp-per-namespace", namespace).
func pathLabel(label string) string {
	if label == "[string]" || strings.HasPrefix(label, "#") {
		return label
	}
	return cue.Str(label).String()
}

// pathError is a policy's error at a position and a schema path.
type pathError struct {
	pos  token.Pos
	path []string
	msg  string
}

func (e *pathError) Position() token.Pos         { return e.pos }
func (e *pathError) InputPositions() []token.Pos { return nil }
func (e *pathError) Error() string               { return e.msg }
func (e *pathError) Path() []string              { return e.path }
func (e *pathError) Msg() (string, []any)        { return "%s", []any{e.msg} }

// openEnvironmentStructs opens the structs a policy writes inside an
// environment under #File (#File: environments: [string]: hostnames:
// gateway: ...). #File leaves an environment open for its pattern to
// check, so such a struct would be the only declaration of its field in
// #File, and closed, as a struct in a definition is: hostnames would then
// allow only gateway. Opened, it constrains what it names; the pattern
// still refuses unknown fields, and BuildChecked a misspelt rule.
func openEnvironmentStructs(f *ast.File) {
	for _, d := range f.Decls {
		if name, _, ok := topLabel(d); ok && name == "#File" {
			eachField(d.(*ast.Field).Value, func(envs *ast.Field) {
				if label, _, _ := ast.LabelName(envs.Label); label == "environments" {
					eachField(envs.Value, func(env *ast.Field) {
						eachField(env.Value, func(field *ast.Field) { openStructs(field.Value) })
					})
				}
			})
		}
	}
}

// eachField calls fn for each field of the struct x (and of each side of
// an & or a |).
func eachField(x ast.Expr, fn func(*ast.Field)) {
	switch x := x.(type) {
	case *ast.BinaryExpr:
		if x.Op == token.AND || x.Op == token.OR {
			eachField(x.X, fn)
			eachField(x.Y, fn)
		}
	case *ast.StructLit:
		for _, elt := range x.Elts {
			if field, ok := elt.(*ast.Field); ok {
				fn(field)
			}
		}
	}
}

// openStructs adds ... to every struct literal of x, nested ones too.
func openStructs(x ast.Expr) {
	ast.Walk(x, func(n ast.Node) bool {
		if s, ok := n.(*ast.StructLit); ok && !slices.ContainsFunc(s.Elts, func(d ast.Decl) bool {
			_, open := d.(*ast.Ellipsis)
			return open
		}) {
			s.Elts = append(s.Elts, &ast.Ellipsis{})
		}
		return true
	}, nil)
}
