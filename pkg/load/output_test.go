package load

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/examples"
	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/diag"
)

// outputPolicy unifies every pattern's out with #Output, the check
// #Pattern leaves out of every build for speed (schema/common.cue), and
// claimsPolicy with #OutputClaims, for evaluations with ctx.build false:
// it is closed, so nothing but the claims is computed then.
const (
	outputPolicy = "package apkgen\n\n#Patterns: [string]: out: #Output\n"
	claimsPolicy = "package apkgen\n\n#Patterns: [string]: out: #OutputClaims\n"
)

// TestOutputsMatchSchema: what each pattern computes, for every example
// and a generated estate using every pattern, chart overrides and values,
// is what #Output describes, and with ClaimsOnly what #OutputClaims does.
func TestOutputsMatchSchema(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "output.cue")
	if err := os.WriteFile(policy, []byte(outputPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	claims := filepath.Join(dir, "claims.cue")
	if err := os.WriteFile(claims, []byte(claimsPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"envgen-100.yaml": envgen.Generate(100)}
	names, err := fs.Glob(examples.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("examples: %v %v", names, err)
	}
	for _, name := range names {
		data, err := examples.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	for name, data := range files {
		for _, claimsOnly := range []bool{false, true} {
			pol := policy
			if claimsOnly {
				pol = claims
			}
			f, err := Parse(name, data, Options{Policies: []string{pol}, ClaimsOnly: claimsOnly})
			if err != nil {
				t.Errorf("%s (claims only: %v): %v", name, claimsOnly, err)
				continue
			}
			if len(f.Envs) == 0 {
				t.Errorf("%s: no environments", name)
			}
			for _, e := range f.Envs {
				for key, rel := range e.Out.Releases {
					if rel.ReleaseName == "" || rel.Chart.Version == "" {
						t.Errorf("%s: %s.%s: no release name or chart version", name, e.Name, key)
					}
					// A build computes the values. (With claims only, validate
					// exports the claims alone: what refuses a pattern that
					// computes more is the closed #OutputClaims policy above.)
					if !claimsOnly && rel.Values == nil {
						t.Errorf("%s: %s.%s: no values computed for a build", name, e.Name, key)
					}
				}
			}
		}
	}

	// The policy does catch an output #Output does not allow: a file name
	// it does not match, from the environment's namespace.
	bad := filepath.Join(dir, "bad.cue")
	rule := "package apkgen\n\n#Patterns: \"dp-per-namespace\": P={out: files: \"\\(P.in.namespace)_X\": \"x\"}\n"
	if err := os.WriteFile(bad, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := examples.FS.ReadFile("dp-per-namespace.yaml")
	// Without the policy, builds do not check (what makes them faster).
	if _, err := Parse("dp-per-namespace.yaml", data, Options{Policies: []string{bad}}); err != nil {
		t.Fatalf("without the #Output policy: %v", err)
	}
	_, err = Parse("dp-per-namespace.yaml", data, Options{Policies: []string{policy, bad}})
	var l diag.List
	if !errors.As(err, &l) || len(l) == 0 {
		t.Fatalf("an output outside #Output passed: %v", err)
	}
	for _, d := range l {
		if !strings.HasPrefix(d.String(), "dp-per-namespace.yaml:") || !strings.Contains(d.String(), "field not allowed") {
			t.Errorf("not the environment's error: %s", d)
		}
	}
}

// TestContextMatchesSchema: the context Go fills for an environment, for
// a build and for validate, is what #Context describes, which #Pattern
// does not check in every evaluation, for speed.
func TestContextMatchesSchema(t *testing.T) {
	for _, name := range []string{"mixed.yaml", "cp-dp-k8s.yaml"} {
		data, err := examples.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, claimsOnly := range []bool{false, true} {
			src := source{name: name, data: data, opts: Options{ClaimsOnly: claimsOnly}}
			w, err := parseWorker(src, &reporter{name: name}, false)
			if err != nil {
				t.Fatal(err)
			}
			def := w.sch.LookupPath(cue.MakePath(cue.Def("Context")))
			v := w.cuectx.Encode(w.context("dev"))
			if err := def.Unify(v).Validate(cue.Concrete(true)); err != nil {
				t.Errorf("%s (claims only: %v): the context is not a #Context: %v", name, claimsOnly, err)
			}
			// The check can fail: a field #Context does not have.
			if def.Unify(v.FillPath(cue.ParsePath("extra"), 1)).Validate() == nil {
				t.Errorf("%s: #Context accepts an unknown field", name)
			}
		}
	}
}
