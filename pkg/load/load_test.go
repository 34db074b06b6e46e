package load

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/schema"
)

const argoFile = `apiVersion: apkgen/v1alpha1
kind: Environments
gitops:
  engine: argocd
  repoURL: https://example.com/gitops.git
clusters:
  a: {}
  b: {server: https://b.example.com:6443}
environments:
  dev:
    pattern: dp-per-namespace
    cluster: a
    namespace: apk-dev
    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}
`

// parseDiags parses text and returns its diagnostics as strings.
func parseDiags(t *testing.T, text string) []string {
	t.Helper()
	return parseDiagsNamed(t, "envs.yaml", text)
}

// parseDiagsNamed is parseDiags for a file of that name (and format).
func parseDiagsNamed(t *testing.T, name, text string) []string {
	t.Helper()
	_, err := Parse(name, []byte(text), Options{})
	if err == nil {
		return nil
	}
	var l diag.List
	if !errors.As(err, &l) {
		t.Fatalf("not diagnostics: %v", err)
	}
	var out []string
	for _, d := range l {
		out = append(out, d.String())
	}
	return out
}

func TestArgoCDFile(t *testing.T) {
	if d := parseDiags(t, argoFile); d != nil {
		t.Fatalf("valid file: %v", d)
	}
}

// TestArgoCDNeedsRepoURL: Argo CD reads the tree from gitops.repoURL.
func TestArgoCDNeedsRepoURL(t *testing.T) {
	text := replace(t, argoFile, "  repoURL: https://example.com/gitops.git\n", "")
	eqDiags(t, parseDiags(t, text), []string{`envs.yaml:3:1: gitops.repoURL: missing required field "repoURL"`})
	// Flux does not read it.
	if d := parseDiags(t, replace(t, text, "engine: argocd", "engine: flux")); d != nil {
		t.Errorf("flux without repoURL: %v", d)
	}
}

// TestArgoCDUniqueServers: two clusters on one API server would be one
// cluster to Argo CD, defeating the per-cluster rules.
func TestArgoCDUniqueServers(t *testing.T) {
	text := replace(t, argoFile, "  b: {server: https://b.example.com:6443}\n", "  b: {}\n  c: {server: https://b.example.com:6443}\n  d: {server: https://b.example.com:6443}\n")
	eqDiags(t, parseDiags(t, text), []string{
		`envs.yaml:8:3: clusters.b.server: cluster "b" has the same API server as cluster "a" (https://kubernetes.default.svc, envs.yaml:7:3): with gitops.engine argocd each cluster needs its own server (unset means Argo CD's own cluster, https://kubernetes.default.svc)`,
		`envs.yaml:10:7: clusters.d.server: cluster "d" has the same API server as cluster "c" (https://b.example.com:6443, envs.yaml:9:3): with gitops.engine argocd each cluster needs its own server (unset means Argo CD's own cluster, https://kubernetes.default.svc)`,
	})
	if d := parseDiags(t, replace(t, text, "engine: argocd", "engine: flux")); d != nil {
		t.Errorf("flux ignores servers: %v", d)
	}
}

func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	t.Fatalf("%q not in the text", old)
	return ""
}

func eqDiags(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%q\nwant\n%q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("diagnostic %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestGlobsOverlap(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"apk-dev-wso2-apk-*", "apk-dev-wso2-apk-role-binding", true},
		{"apk-dev-wso2-apk-*", "apk-dev-x-wso2-apk-*", false},
		{"apk-dev-wso2-apk-*", "apk-dev-wso2-apk-wso2-apk-*", true},
		{"apk-*", "*-binding", true},
		{"*.dp.wso2.com", "*.cp.wso2.com", false},
		{"*.cert-manager.io", "challenges.acme.cert-manager.io", true},
		{"cert-manager*", "apk-dev-wso2-apk-*", false},
		{"gateway-api-admission", "gateway-api-admission", true},
		{"gateway-api-admission", "gateway-api-admission-patch", false},
	} {
		if got := GlobsOverlap(c.a, c.b); got != c.want {
			t.Errorf("GlobsOverlap(%q, %q) = %v", c.a, c.b, got)
		}
		if got := GlobsOverlap(c.b, c.a); got != c.want {
			t.Errorf("GlobsOverlap(%q, %q) = %v", c.b, c.a, got)
		}
	}
}

// TestClusterScopedOverlap: release dev-wso2-apk's names start like
// release dev's prefixed ones, so dev could own its objects.
func TestClusterScopedOverlap(t *testing.T) {
	text := argoFile + `  dev-wso2-apk:
    pattern: dp-per-namespace
    cluster: a
    namespace: apk-other
    hostnames: {gateway: other.gw.example.com, system: other.apk.example.com}
`
	eqDiags(t, parseDiags(t, text), []string{
		`envs.yaml:15:3: environments.dev-wso2-apk: its ClusterRole "apk-dev-wso2-apk-wso2apk-role" and the ClusterRole "apk-dev-wso2-apk-*" of environment "dev" (envs.yaml:10:3) can be the same object on cluster "a"; rename one environment`,
	})
}

// The size cap holds for a regular file and for what has no size to
// check beforehand (a device, a pipe): it is never read past the cap.
func TestReadFileSizeCap(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{big, "/dev/zero"} {
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s: %v", path, err)
		}
		_, err := ReadFile(path, Options{})
		var l diag.List
		if !errors.As(err, &l) || len(l) != 1 || !strings.Contains(l[0].Message, "larger than 1048576 bytes") {
			t.Errorf("%s: got %v, want the size error", path, err)
		}
	}
}

// A syntax error near the end of a large file is still found at its line
// and column: the search parses a bounded number of bytes.
func TestLargeFileSyntaxError(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: apkgen/v1alpha1\nkind: Environments\nclusters:\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "  c%05d: {}\n", i)
	}
	b.WriteString("environments:\n  dev:\n    pattern: dp-per-namespace\n   cluster: c00001\n")
	_, err := Parse("big.yaml", []byte(b.String()), Options{})
	var l diag.List
	if !errors.As(err, &l) || len(l) == 0 || !strings.Contains(l[0].Message, "invalid YAML") || l[0].Pos.Line != 20007 || l[0].Pos.Col != 4 {
		t.Fatalf("got %v, want an invalid YAML error at 20007:4, the misindented cluster", err)
	}
}

// TestCUEFileSectionsFromEnvironments: in a file written in CUE a section
// can be computed from the environments; the file's settings keep it, and
// a section missing is still reported.
func TestCUEFileSectionsFromEnvironments(t *testing.T) {
	text := `apiVersion: "apkgen/v1alpha1"
kind:       "Environments"
gitops: {engine: "argocd", repoURL: "https://example.com/gitops.git"}
clusters: {for _, e in environments {(e.cluster): server: "https://\(e.cluster).example.com:6443"}}
environments: dev: {
	pattern:   "dp-per-namespace"
	cluster:   "nonprod"
	namespace: "apk-dev"
	hostnames: {gateway: "dev.gw.example.com", system: "dev.apk.example.com"}
}
`
	f, err := Parse("envs.cue", []byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"gitops.engine":           "argocd",
		"clusters.nonprod.server": "https://nonprod.example.com:6443",
	} {
		if got, err := f.Value.LookupPath(cue.ParsePath(path)).String(); got != want {
			t.Errorf("%s = %q (%v), want %q", path, got, err, want)
		}
	}
	eqDiags(t, parseDiagsNamed(t, "envs.cue", strings.Replace(text, "kind:       \"Environments\"\n", "", 1)),
		[]string{`envs.cue:1:1: kind: missing required field "kind"`})
}

// allowUntestedVersion turns the untested-version error into a warning;
// --strict makes it an error again.
func TestAllowUntestedVersion(t *testing.T) {
	text, f := withCharts(t, "dp-per-namespace", "{apk: {version: 1.3.0-9, allowUntestedVersion: true}}")
	if w := f.Warnings.Sorted(); len(w) != 1 || !strings.Contains(w[0].Message, "apk-helm 1.3.0-9 is not a version apkgen was tested with") {
		t.Errorf("warnings: %v", f.Warnings)
	}
	_, err := Parse("envs.yaml", []byte(text), Options{Strict: true})
	var l diag.List
	if !errors.As(err, &l) || !l.HasErrors() || !strings.Contains(l[0].Message, "(--strict)") {
		t.Errorf("--strict: got %v", err)
	}
}

// withCharts is a pattern's example with the file-level charts block
// given, as text and parsed.
func withCharts(t *testing.T, pattern, charts string) (string, *File) {
	t.Helper()
	example, err := os.ReadFile("../../examples/" + pattern + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(example), "clusters:", "charts: "+charts+"\nclusters:", 1)
	f, err := Parse("envs.yaml", []byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return text, f
}

// A version with a known problem (#VersionProblems) says what breaks,
// instead of that its values may not.
func TestVersionProblemIsSaid(t *testing.T) {
	_, f := withCharts(t, "cp-vm-dp-k8s", "{agent: {version: 1.3.1-2, allowUntestedVersion: true}}")
	want := "apim-apk-agent 1.3.1-2 is not a version apkgen was tested with (tested: 1.3.1-1): it fails to render unless configs.tls is set, which apkgen does not set"
	if w := f.Warnings.Sorted(); len(w) != 1 || w[0].Message != want {
		t.Errorf("warnings: %v", f.Warnings)
	}
}

// patternsPresent stands in for the environments section's check of a
// file written as data: it must hold exactly when that check passes.
func TestPatternsPresentIsTheSectionCheck(t *testing.T) {
	ctx := cuecontext.New()
	sch, err := buildSchema(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	def := fieldDef(sch.LookupPath(cue.MakePath(cue.Def("File"))), "environments")
	for name, envs := range map[string]string{
		"valid":           "dev: {pattern: dp-per-namespace, cluster: c}\nprod: {pattern: anything}\n",
		"only pattern":    "dev: {pattern: x}\n",
		"no environment":  "{}\n",
		"scalar":          "dev: 5\n",
		"null":            "dev:\n",
		"list":            "dev: [pattern, x]\n",
		"no pattern":      "dev: {cluster: c}\nprod: {pattern: x}\n",
		"numeric pattern": "dev: {pattern: 5}\n",
		"null pattern":    "dev: {pattern: null}\n",
		"list pattern":    "dev: {pattern: [x]}\n",
		"map pattern":     "dev: {pattern: {x: 1}}\n",
		"not a map":       "[dev]\n",
		"string":          "dev\n",
	} {
		for _, file := range []string{"envs.yaml", "envs.json"} {
			data := []byte(envs)
			if format(file) == "json" {
				var err error
				if data, err = sigsyaml.YAMLToJSON(data); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			syntax, err := parseSyntax(file, data, format(file))
			if err != nil {
				t.Fatalf("%s, %s: %v", name, file, err)
			}
			v := ctx.BuildFile(syntax)
			check := def.Unify(v).Validate(cue.Concrete(true))
			if got := patternsPresent(v); got != (check == nil) {
				t.Errorf("%s, %s: patternsPresent %v, the section check says %v", name, file, got, check)
			}
		}
	}
}

// TestPolicyValueCutShort: a policy's value that none of the schema's
// alternatives accepts is quoted on one line and cut short, as a value of
// the file is (report): the line is one line of a terminal.
func TestPolicyValueCutShort(t *testing.T) {
	policies := []schema.Source{{Name: "policy.cue",
		Data: []byte("package apkgen\n\n#File: gitops: engine: \"" + strings.Repeat("a", 80) + "\"\n")}}
	_, err := schema.Build(cuecontext.New(), policies...)
	err = policyError(err, policies)
	var l diag.List
	if !errors.As(err, &l) || len(l) != 1 {
		t.Fatalf("got %v, want one line", err)
	}
	want := `policy.cue:3:24: #File.gitops.engine: must be one of "argocd", "flux" to fit the schema, not "` + strings.Repeat("a", maxShownValue-2) + "…"
	if got := l[0].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
