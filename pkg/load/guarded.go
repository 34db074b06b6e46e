package load

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/pkg/diag"
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
// a guarded path of its pattern, why that breaks the release.
func (g guards) check(r *reporter, env cue.Value, envPath []string, pattern string) diag.List {
	values := env.LookupPath(valuesPath)
	if !values.Exists() {
		return nil
	}
	var diags diag.List
	for _, key := range slices.Sorted(maps.Keys(g)) {
		rel := values.LookupPath(cue.MakePath(cue.Str(key)))
		if !rel.Exists() {
			continue
		}
		for _, p := range slices.Sorted(maps.Keys(g[key])) {
			entry := g[key][p]
			if len(entry.Patterns) > 0 && !slices.Contains(entry.Patterns, pattern) {
				continue
			}
			parts := strings.Split(p, ".")
			if !rel.LookupPath(selectors(parts)).Exists() {
				continue
			}
			at := slices.Concat(envPath, []string{"values", key}, parts)
			diags.Warnf(r.lookupPos(at), strings.Join(at, "."), "%s", entry.Says)
		}
	}
	return diags
}
