package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/schema"
)

// guard is an entry of #GuardedValues: a value apkgen sets (or a path the
// chart does not read) that `values:` can replace while it breaks the
// release.
type guard struct {
	Says     string   `json:"says"`
	Patterns []string `json:"patterns"`
	NotRead  bool     `json:"notRead"`
}

// guards are #GuardedValues, by release key and dotted path.
type guards map[string]map[string]guard

func readGuards(sch cue.Value) (guards, error) {
	data, err := sch.LookupPath(cue.MakePath(cue.Def("GuardedValues"))).MarshalJSON()
	var g guards
	if err == nil {
		err = jsonnum.Unmarshal(data, &g)
	}
	if err != nil {
		return nil, fmt.Errorf("#GuardedValues: %w", err)
	}
	return g, nil
}

var valuesPath = cue.ParsePath("values")

// check warns, at each entry of the environment's `values:` that replaces
// a guarded path of its pattern (the value itself, or a map holding it by
// something that is not a map), why that breaks the release. Restating
// what the release's shared base already says is no replacement. It walks
// the environment's values, only where a guarded path leads.
func (g guards) check(r *reporter, env cue.Value, envPath []string, pattern string, bases map[string]model.ReleaseBase) diag.List {
	values := env.LookupPath(valuesPath)
	if !values.Exists() {
		return nil
	}
	var diags diag.List
	for _, key := range fieldNames(values) {
		entries := map[string]guard{}
		for p, e := range g[key] {
			if len(e.Patterns) == 0 || slices.Contains(e.Patterns, pattern) {
				entries[p] = e
			}
		}
		var walk func(v cue.Value, path []string)
		walk = func(v cue.Value, path []string) {
			p := strings.Join(path, ".")
			at := slices.Concat(envPath, []string{"values", key}, path)
			if e, ok := entries[p]; ok {
				if !sameAsBase(v, bases[key].Values, path) {
					diags.Warnf(r.lookupPos(at), joinPath(at), "%s", e.Says)
				}
				return
			}
			var below, replaced []string // guarded paths under p; of them, values apkgen sets
			for q, e := range entries {
				if strings.HasPrefix(q, p+".") {
					below = append(below, q)
					if !e.NotRead {
						replaced = append(replaced, q)
					}
				}
			}
			switch {
			case len(below) == 0:
			case v.IncompleteKind() == cue.StructKind:
				for _, f := range fieldNames(v) {
					walk(v.LookupPath(cue.MakePath(cue.Str(f))), append(slices.Clip(path), f))
				}
			case len(replaced) > 0:
				slices.Sort(replaced)
				diags.Warnf(r.lookupPos(at), joinPath(at),
					"is not a map, so it replaces the values apkgen sets under it (%s); set the keys inside it instead", strings.Join(replaced, ", "))
			}
		}
		rel := values.LookupPath(cue.MakePath(cue.Str(key)))
		for _, f := range fieldNames(rel) {
			walk(rel.LookupPath(cue.MakePath(cue.Str(f))), []string{f})
		}
	}
	return diags
}

// sameAsBase reports whether v says what the release's shared base says at
// the path.
func sameAsBase(v cue.Value, base map[string]any, parts []string) bool {
	at, ok := lookupAny(base, parts)
	if !ok {
		return false
	}
	mine, err := v.MarshalJSON()
	if err != nil {
		return false
	}
	theirs, err := json.Marshal(at)
	return err == nil && bytes.Equal(mine, theirs)
}

// policyPos is where a policy says v, else where v is.
func policyPos(v cue.Value, policies []schema.Source) token.Pos {
	_, parts := v.Expr()
	for _, part := range append(parts, v) {
		for _, p := range policies {
			if part.Pos().Filename() == p.Name {
				return part.Pos()
			}
		}
	}
	return v.Pos()
}

// lookupAny is the value at path in nested maps, as JSON decodes them.
func lookupAny(v any, path []string) (any, bool) {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// checkGuards checks a policy's #GuardedValues entries when the schema is
// built, each where a policy writes it: that it has says (CUE places an
// incomplete value nowhere) and names known patterns; then that all of it
// is concrete.
func checkGuards(sch cue.Value, policies []schema.Source) error {
	def := sch.LookupPath(cue.MakePath(cue.Def("GuardedValues")))
	known := Patterns(sch)
	var diags diag.List
	for _, key := range fieldNames(def) {
		for _, p := range fieldNames(def.LookupPath(cue.MakePath(cue.Str(key)))) {
			entry := def.LookupPath(cue.MakePath(cue.Str(key), cue.Str(p)))
			at := fmt.Sprintf("#GuardedValues.%s.%s", key, strconv.Quote(p))
			if _, err := entry.LookupPath(cue.ParsePath("says")).String(); err != nil {
				pos := policyPos(entry, policies)
				diags.Errorf(fromToken(pos.Filename(), pos), at, "an entry needs says, the warning's text")
			}
			list, _ := entry.LookupPath(cue.ParsePath("patterns")).List()
			for i := 0; list.Next(); i++ {
				pat, _ := list.Value().String()
				if slices.Contains(known, pat) {
					continue
				}
				pos := list.Value().Pos()
				diags.Errorf(fromToken(pos.Filename(), pos), fmt.Sprintf("%s.patterns[%d]", at, i),
					"unknown pattern %q;%s known patterns: %s", pat, suggest.Hint(pat, known), strings.Join(known, ", "))
			}
		}
	}
	if len(diags) > 0 {
		return diags
	}
	if err := def.Validate(cue.Concrete(true)); err != nil {
		return policyError(err, policies)
	}
	return nil
}
