package render

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/postrender"

	"github.com/apkgen/apkgen/internal/charttest"
	"github.com/apkgen/apkgen/pkg/charts"
	"github.com/apkgen/apkgen/pkg/plan"
)

func testChart(t *testing.T) *charts.Chart {
	t.Helper()
	c, err := (&charts.Source{Dir: filepath.Dir(charttest.ChartDir(t))}).Get(plan.Chart{Name: "apk-helm", Version: "1.3.0-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rel(name string, values map[string]any) *plan.Release {
	return &plan.Release{Key: "apk", ReleaseName: name, CRDs: "Skip", Values: values,
		Chart: plan.Chart{Name: "apk-helm", Version: "1.3.0-1"}}
}

func render(t *testing.T, in Input) *Output {
	t.Helper()
	out, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renderBytes renders and returns the output's bytes.
func renderBytes(t *testing.T, in Input) []byte {
	t.Helper()
	b, err := render(t, in).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		t.Fatal("an empty rendering")
	}
	return b
}

func find(out *Output, kind, name string) *Object {
	for i, o := range out.Objects {
		if o.Kind() == kind && o.Name() == name {
			return &out.Objects[i]
		}
	}
	return nil
}

func has(out *Output, kind, name string) bool { return find(out, kind, name) != nil }

func password(t *testing.T, out *Output, rel string) string {
	t.Helper()
	s := find(out, "Secret", rel+"-wso2-apk-enforcer-keystore")
	if s == nil {
		t.Fatal("no keystore Secret")
	}
	b, err := base64.StdEncoding.DecodeString(s.Obj["data"].(map[string]any)["password"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDeterministic: two renders are byte-identical although the chart
// calls randAlphaNum, which Helm alone renders differently every time.
func TestDeterministic(t *testing.T) {
	c := testChart(t)
	in := Input{Chart: c, Release: rel("apk-dev", nil), Namespace: "dev", Engine: Flux}
	a, b := renderBytes(t, in), renderBytes(t, in)
	if !bytes.Equal(a, b) {
		t.Fatal("two renders differ")
	}
	pw := password(t, render(t, in), "apk-dev")
	if !regexp.MustCompile(`^[A-Za-z0-9]{24}$`).MatchString(pw) {
		t.Errorf("randAlphaNum 24 gave %q", pw)
	}
	other := password(t, render(t, Input{Chart: c, Release: rel("apk-test", nil), Namespace: "test", Engine: Flux}), "apk-test")
	if other == pw {
		t.Error("two releases got the same generated password")
	}
	// Without the rewriting, Helm renders the chart differently each time:
	// the test above would catch a rewriting that does nothing.
	plain := func() string {
		ch, err := c.Load()
		if err != nil {
			t.Fatal(err)
		}
		inst := action.NewInstall(&action.Configuration{})
		inst.DryRun, inst.ClientOnly, inst.ReleaseName, inst.Namespace = true, true, "apk-dev", "dev"
		rel, err := inst.Run(ch, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		return rel.Manifest
	}
	if first, second := plain(), plain(); first == second {
		t.Error("the test chart renders the same twice without apkgen's rewriting: it has no random call")
	}
}

// TestRandomFunctions renders every function apkgen rewrites, twice.
func TestRandomFunctions(t *testing.T) {
	dir := t.TempDir()
	chartDir := filepath.Join(dir, "rnd")
	write := func(name, s string) {
		p := filepath.Join(chartDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "apiVersion: v2\nname: rnd\nversion: 0.1.0\n")
	write("templates/_h.tpl", `{{- define "rnd.name" -}}{{ randAlpha 6 | lower }}{{- end -}}`)
	write("templates/cm.yaml", `{{- $ca := genCA "ca" 365 -}}
{{- $cert := genSignedCert "x" nil (list "x.example") 365 $ca -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: rnd-{{ include "rnd.name" . }}
data:
  alnum: {{ randAlphaNum 10 | quote }}
  numeric: {{ randNumeric 4 | quote }}
  ascii: {{ randAscii 3 | quote }}
  bytes: {{ randBytes 8 | quote }}
  int: {{ randInt 3 9 | quote }}
  uuid: {{ uuidv4 | quote }}
  shuffle: {{ shuffle "abc" | quote }}
  now: {{ now | date "2006-01-02" | quote }}
  nowArg: {{ date "2006" now | quote }}
  ago: {{ ago now | quote }}
  ca: {{ $ca.Cert | b64enc | quote }}
  cert: {{ $cert.Key | quote }}
  self: {{ (genSelfSignedCert "s" nil nil 1).Cert | quote }}
  key: {{ genPrivateKey "rsa" | quote }}
  htpasswd: {{ htpasswd "user" "pass" | quote }}
  bcrypt: {{ bcrypt "pw" | quote }}
  aes: {{ encryptAES "k" "text" | quote }}
  text: "randAlphaNum is a word here"
`)
	c, err := (&charts.Source{Dir: dir}).Get(plan.Chart{Name: "rnd", Version: "0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Chart: c, Release: &plan.Release{Key: "rnd", ReleaseName: "r", CRDs: "Skip"}, Namespace: "ns"}
	a := render(t, in)
	ab, bb := renderBytes(t, in), renderBytes(t, in)
	if !bytes.Equal(ab, bb) {
		t.Fatalf("two renders differ:\n%s\n%s", ab, bb)
	}
	if len(a.Objects) != 1 {
		t.Fatalf("%d objects", len(a.Objects))
	}
	o := a.Objects[0]
	if !regexp.MustCompile(`^rnd-[a-z]{6}$`).MatchString(o.Name()) {
		t.Errorf("name %q: randAlpha in a define", o.Name())
	}
	d := o.Obj["data"].(map[string]any)
	for k, re := range map[string]string{
		"alnum":    `^[A-Za-z0-9]{10}$`,
		"numeric":  `^[0-9]{4}$`,
		"ascii":    `^.{3}$`,
		"bytes":    `^[A-Za-z0-9+/]{8}$`,
		"int":      `^3$`,
		"uuid":     `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
		"shuffle":  `^abc$`,
		"now":      `^2000-01-0[12]$`, // local midnight may be the day before or after
		"nowArg":   `^(2000|1999)$`,
		"ago":      `^0s$`,
		"cert":     `^APKGEN-PLACEHOLDER-PRIVATE-KEY-`,
		"self":     `^APKGEN-PLACEHOLDER-CERTIFICATE-`,
		"key":      `^APKGEN-PLACEHOLDER-PRIVATE-KEY-`,
		"htpasswd": `^user:APKGEN-PLACEHOLDER-HASH-`,
		"bcrypt":   `^APKGEN-PLACEHOLDER-BCRYPT-`,
		"aes":      `^APKGEN-PLACEHOLDER-ENCRYPTED-`,
		"text":     `^randAlphaNum is a word here$`,
	} {
		if s, _ := d[k].(string); !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("%s = %q, want %s", k, s, re)
		}
	}
	ca, _ := base64.StdEncoding.DecodeString(d["ca"].(string))
	if !strings.HasPrefix(string(ca), "APKGEN-PLACEHOLDER-CERTIFICATE-") {
		t.Errorf("genCA .Cert = %q", ca)
	}
}

// TestCRDPolicyAndSkipCrds: Skip leaves out the chart's crds/ folder;
// skipCrds drops the templated apis CRD only, as apk-helm 1.3.0-1 does.
func TestCRDPolicyAndSkipCrds(t *testing.T) {
	c := testChart(t)
	r := rel("apk-dev", nil)
	out := render(t, Input{Chart: c, Release: r, Namespace: "dev"})
	if has(out, "CustomResourceDefinition", "ratelimitpolicies.dp.wso2.com") {
		t.Error("Skip rendered the crds/ folder")
	}
	for _, crd := range []string{"apis", "apipolicies", "authentications", "tokenissuers"} {
		if !has(out, "CustomResourceDefinition", crd+".dp.wso2.com") {
			t.Errorf("no templated CRD %s", crd)
		}
	}
	r.CRDs = "Create"
	if !has(render(t, Input{Chart: c, Release: r, Namespace: "dev"}), "CustomResourceDefinition", "ratelimitpolicies.dp.wso2.com") {
		t.Error("Create did not render the crds/ folder")
	}
	out = render(t, Input{Chart: c, Release: rel("apk-dev", map[string]any{"skipCrds": true}), Namespace: "dev"})
	if has(out, "CustomResourceDefinition", "apis.dp.wso2.com") {
		t.Error("skipCrds kept apis")
	}
	if !has(out, "CustomResourceDefinition", "apipolicies.dp.wso2.com") {
		t.Error("skipCrds dropped apipolicies, which 1.3.0-1 keeps")
	}
}

// TestPostRenderAndEngine: the release's kustomize patches apply (a
// delete, a JSON patch); Flux labels what it applies, not the hooks; Argo
// CD adds nothing.
func TestPostRenderAndEngine(t *testing.T) {
	c := testChart(t)
	r := rel("apk-dev", nil)
	r.PostRender = []plan.Patch{
		{Target: map[string]any{"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "name": "tokenissuers.dp.wso2.com"},
			Patch: "$patch: delete\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n"},
		{Target: map[string]any{"kind": "Service"},
			Patch: "- op: add\n  path: /metadata/annotations\n  value: {patched: \"yes\"}\n"},
		// A target the chart does not render is no error: a chart version
		// without one of the templated CRDs still renders.
		{Target: map[string]any{"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "name": "absent.dp.wso2.com"},
			Patch: "$patch: delete\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n"},
	}
	out := render(t, Input{Chart: c, Release: r, Namespace: "dev", Engine: Flux})
	if has(out, "CustomResourceDefinition", "tokenissuers.dp.wso2.com") {
		t.Error("the delete patch did not apply")
	}
	svc := find(out, "Service", "apk-dev-wso2-apk-gateway-service")
	if svc == nil || svc.Obj["metadata"].(map[string]any)["annotations"].(map[string]any)["patched"] != "yes" {
		t.Error("the JSON patch did not apply")
	}
	hooks := 0
	for _, o := range out.Objects {
		labels, _ := o.meta()["labels"].(map[string]any)
		if o.Hook {
			hooks++
			if labels["helm.toolkit.fluxcd.io/name"] != nil {
				t.Errorf("hook %s has Flux's labels", o)
			}
			continue
		}
		if labels["helm.toolkit.fluxcd.io/name"] != "apk" || labels["helm.toolkit.fluxcd.io/namespace"] != "dev" {
			t.Errorf("%s: labels %v, want Flux's origin labels", o, labels)
		}
	}
	if hooks != 1 {
		t.Errorf("%d hooks, want the cleanup ClusterRole", hooks)
	}
	for _, o := range render(t, Input{Chart: c, Release: r, Namespace: "dev", Engine: ArgoCD}).Objects {
		if labels, _ := o.meta()["labels"].(map[string]any); labels["helm.toolkit.fluxcd.io/name"] != nil {
			t.Errorf("argocd: %s has Flux's labels", o)
		}
	}
}

// TestRenderError names the release and the chart.
func TestRenderError(t *testing.T) {
	r := rel("apk-dev", map[string]any{"wso2": map[string]any{"apk": "not a map"}})
	_, err := Render(Input{Chart: testChart(t), Release: r, Namespace: "dev"})
	if err == nil || !strings.Contains(err.Error(), "rendering release apk-dev (chart apk-helm 1.3.0-1)") {
		t.Fatalf("err = %v", err)
	}
}

// TestTemplateIsHelmInstall: apkgen's `helm template` steps give exactly
// what Helm's install action gives client-only (dry run), manifests and
// hooks, with and without the crds/ folder and with a post-renderer.
func TestTemplateIsHelmInstall(t *testing.T) {
	c := testChart(t)
	withPatches := postRenderers(&plan.Release{Key: "apk", PostRender: []plan.Patch{{
		Target: map[string]any{"kind": "ConfigMap"},
		Patch:  "- op: add\n  path: /metadata/annotations\n  value: {patched: \"yes\"}\n",
	}}}, "dev", Flux)
	for _, tc := range []struct {
		crds bool
		pr   postrender.PostRenderer
	}{{false, nil}, {true, nil}, {true, withPatches}} {
		values := map[string]any{"skipCrds": true, "certmanager": map[string]any{"enabled": false}}
		load := func() *chart.Chart {
			ch, err := c.Load()
			if err != nil {
				t.Fatal(err)
			}
			makeDeterministic(ch, "x")
			return ch
		}
		inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
		inst.DryRun, inst.ClientOnly, inst.ReleaseName, inst.Namespace, inst.IncludeCRDs = true, true, "apk-dev", "dev", tc.crds
		if tc.pr != nil {
			inst.PostRenderer = tc.pr
		}
		want, err := inst.Run(load(), values)
		if err != nil {
			t.Fatal(err)
		}
		got, err := template(load(), values, "apk-dev", "dev", tc.crds, tc.pr)
		if err != nil {
			t.Fatal(err)
		}
		if got.manifest != want.Manifest {
			t.Errorf("crds=%t post-render=%t: manifest differs from helm's:\n%s\n---- helm ----\n%s", tc.crds, tc.pr != nil, got.manifest, want.Manifest)
		}
		if !reflect.DeepEqual(got.hooks, want.Hooks) {
			t.Errorf("hooks differ: %+v\n%+v", got.hooks, want.Hooks)
		}
		if tc.crds != strings.Contains(got.manifest, "ratelimitpolicies.dp.wso2.com") {
			t.Errorf("crds=%t: the crds/ folder", tc.crds)
		}
	}
}
