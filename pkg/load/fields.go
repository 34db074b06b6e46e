package load

import (
	"slices"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/pkg/diag"
)

// checkFields walks a value as written beside the definition it must
// satisfy and reports every unknown and every missing field. CUE itself
// reports only the first problem of a struct once it has another error,
// so apkgen does this part in Go.
func (r *reporter) checkFields(v, def cue.Value, path []string, sc *scope) diag.List {
	return r.fields(v, def, path, sc, true)
}

// checkOwnFields is checkFields on v's own fields, not theirs.
func (r *reporter) checkOwnFields(v, def cue.Value, path []string, sc *scope) diag.List {
	return r.fields(v, def, path, sc, false)
}

func (r *reporter) fields(v, def cue.Value, path []string, sc *scope, deep bool) diag.List {
	var diags diag.List
	if v.IncompleteKind() != cue.StructKind || def.IncompleteKind()&cue.StructKind == 0 {
		return nil
	}
	// Under a definition that is anything (`_`, what an open struct's
	// other fields get) every field is allowed and none is required: there
	// is nothing to report, however deep the value (an environment as the
	// file schema sees it, `values:`).
	if def.IncompleteKind() == cue.TopKind {
		return nil
	}
	it, err := v.Fields()
	if err != nil {
		return nil
	}
	// A typo is one mistake: "did you mean X" covers the missing X.
	suggested := map[string]bool{}
	for it.Next() {
		name := it.Selector().Unquoted()
		p := append(append([]string(nil), path...), name)
		if !def.Allows(cue.Str(name)) {
			if meant := r.unknown(&diags, p, allowedFields(sc.schema, p[len(sc.prefix):len(p)-1]), "allowed"); meant != "" {
				suggested[meant] = true
			}
			continue
		}
		if deep {
			diags = append(diags, r.checkFields(it.Value(), fieldDef(def, name), p, sc)...)
		}
	}
	// Fields the value makes required (e.g. repoURL! when engine is argocd)
	// show only on the unified value.
	dit, err := def.Unify(v).Fields(cue.Optional(true))
	if err != nil {
		return diags
	}
	for dit.Next() {
		sel := dit.Selector()
		if sel.ConstraintType() == cue.OptionalConstraint || sel.IsDefinition() || sel.PkgPath() != "" {
			continue
		}
		name := sel.Unquoted()
		if v.LookupPath(cue.MakePath(cue.Str(name))).Exists() || suggested[name] {
			continue
		}
		fv := dit.Value()
		if d, ok := fv.Default(); ok {
			fv = d
		}
		if sel.ConstraintType() == cue.RequiredConstraint || fv.Validate(cue.Concrete(true)) != nil {
			diags.Errorf(r.lookupPos(path), joinPath(append(slices.Clone(path), name)),
				"missing required field %q%s", name, r.policyAt(dit.Value().Pos()))
		}
	}
	return diags
}

// fieldDef is the definition of field name in def: the field itself
// (regular, optional or required) or the pattern constraint it matches.
func fieldDef(def cue.Value, name string) cue.Value {
	for _, sel := range []cue.Selector{cue.Str(name), cue.Str(name).Optional(), cue.Str(name).Required()} {
		if f := def.LookupPath(cue.MakePath(sel)); f.Exists() {
			return f
		}
	}
	return def.LookupPath(cue.MakePath(cue.AnyString))
}
