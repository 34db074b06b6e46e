package load

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/cuecontext"

	"github.com/apkgen/apkgen/examples"
)

// Every #GuardedValues path but those the chart does not read is one
// apkgen sets: in every release of its key of the patterns it names, in
// the examples, which cover every pattern. A guard on a value apkgen no
// longer sets would warn about nothing.
func TestGuardedValuesAreSet(t *testing.T) {
	sch, err := buildSchema(cuecontext.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := readGuards(sch)
	if err != nil {
		t.Fatal(err)
	}
	if len(g["apk"]) == 0 || len(g["agent"]) == 0 {
		t.Fatalf("guards: %v", g)
	}
	names, err := fs.Glob(examples.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("examples: %v %v", names, err)
	}
	seen := map[string]bool{}
	for _, name := range names {
		data, err := examples.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(name, data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range f.Envs {
			for key, paths := range g {
				rel, ok := e.Out.Releases[key]
				if !ok {
					continue
				}
				for p, entry := range paths {
					if entry.NotRead || len(entry.Patterns) > 0 && !slices.Contains(entry.Patterns, e.Pattern) {
						continue
					}
					if _, ok := lookupAny(rel.Values, strings.Split(p, ".")); !ok {
						t.Errorf("%s: environment %s (%s): release %s does not set guarded %s", name, e.Name, e.Pattern, key, p)
					}
					seen[key+" "+p] = true
				}
			}
		}
	}
	for key, paths := range g {
		for p, entry := range paths {
			if !entry.NotRead && !seen[key+" "+p] {
				t.Errorf("guarded %s %s: no example environment has it", key, p)
			}
		}
	}
}
