package prove

import (
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/internal/charttest"
	"github.com/apkgen/apkgen/internal/kubeschema"
	"github.com/apkgen/apkgen/pkg/charts"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/render"
)

// world is a plan of data planes sharing cluster nonprod, each with one
// apk-helm release, rendered with the test double.
type world struct {
	t    *testing.T
	plan *plan.Plan
	rels []*Release
}

func newWorld(t *testing.T) *world {
	return &world{t: t, plan: &plan.Plan{Clusters: []*plan.Cluster{{Name: "nonprod"}}}}
}

// add renders release relName of environment name (namespace ns).
func (w *world) add(name, ns, relName string, values map[string]any, post ...plan.Patch) *Release {
	w.t.Helper()
	c, err := (&charts.Source{Dir: filepath.Dir(charttest.ChartDir(w.t))}).Get(plan.Chart{Name: "apk-helm", Version: "1.3.0-1"})
	if err != nil {
		w.t.Fatal(err)
	}
	e := &plan.Environment{Name: name, Cluster: "nonprod", Namespace: ns}
	r := &plan.Release{Key: "apk", ReleaseName: relName, CRDs: "Skip", Values: values, PostRender: post,
		Chart: plan.Chart{Name: "apk-helm", Version: "1.3.0-1"}}
	e.Releases = []*plan.Release{r}
	in := render.Input{Chart: c, Release: r, Namespace: ns, Engine: render.Flux}
	out, err := render.Render(in)
	if err != nil {
		w.t.Fatal(err)
	}
	w.plan.Environments = append(w.plan.Environments, e)
	rel := &Release{Env: e, Release: r, Input: in, Output: out}
	w.rels = append(w.rels, rel)
	return rel
}

func objects(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Object)
	}
	sort.Strings(out)
	return out
}

// docsValues are the docs' values for one data plane per namespace
// (cluster-scope variant): skipCrds and the operators' apiNamespaces.
func docsValues(ns string) map[string]any {
	nss := []any{ns}
	return map[string]any{
		"skipCrds": true,
		"wso2": map[string]any{"apk": map[string]any{"dp": map[string]any{
			"adapter":          map[string]any{"deployment": map[string]any{"configs": map[string]any{"apiNamespaces": nss}}},
			"commonController": map[string]any{"deployment": map[string]any{"configs": map[string]any{"apiNamespaces": nss}}},
		}}},
	}
}

// TestDocsValuesCollide: two releases with the docs' values collide on the
// fixed-name cluster-scoped objects and the three CRDs skipCrds keeps,
// not on the release-prefixed ones; each finding names both environments.
func TestDocsValuesCollide(t *testing.T) {
	w := newWorld(t)
	w.add("dev", "apk-dev", "apk-dev", docsValues("apk-dev"))
	w.add("test", "apk-test", "apk-test", docsValues("apk-test"))
	fs := Collisions(w.plan, w.rels)
	want := []string{
		"ClusterRole cert-manager-controller-issuers", // the cert-manager sub-chart, on by default
		"ClusterRole gateway-api-admission",
		"ClusterRole wso2apk-role",
		"CustomResourceDefinition apipolicies.dp.wso2.com",
		"CustomResourceDefinition authentications.dp.wso2.com",
		"CustomResourceDefinition tokenissuers.dp.wso2.com",
		"GatewayClass wso2-apk-default",
	}
	if got := objects(fs); !reflect.DeepEqual(got, want) {
		t.Fatalf("collisions on\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, f := range fs {
		if !reflect.DeepEqual(f.Envs, []string{"dev", "test"}) ||
			!strings.Contains(f.Message, "dev (release apk-dev) and test (release apk-test)") ||
			!strings.Contains(f.Message, f.Object) || f.Check != Collision {
			t.Errorf("finding does not name both environments and the object: %s", f)
		}
	}
}

// TestSharedObjectCollides: a release that still creates ClusterRole
// gateway-api-admission collides with the one the cluster's
// infrastructure holds for every release.
func TestSharedObjectCollides(t *testing.T) {
	w := newWorld(t)
	w.plan.Clusters[0].Objects = []plan.Object{{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": "gateway-api-admission"},
	}}
	w.add("dev", "apk-dev", "apk-dev", docsValues("apk-dev"))
	var found bool
	for _, f := range Collisions(w.plan, w.rels) {
		if f.Object == "ClusterRole gateway-api-admission" {
			found = true
			if !strings.Contains(f.Message, "dev (release apk-dev) and the infrastructure of cluster nonprod") {
				t.Errorf("the finding does not name both owners: %s", f)
			}
		}
	}
	if !found {
		t.Error("no collision between the release's ClusterRole gateway-api-admission and the infrastructure's")
	}
}

// TestSameReleaseNameCollides: with one release name in two namespaces,
// the release-prefixed cluster-scoped objects collide too, hooks included.
func TestSameReleaseNameCollides(t *testing.T) {
	w := newWorld(t)
	w.add("dev", "apk-dev", "apk", docsValues("apk-dev"))
	w.add("test", "apk-test", "apk", docsValues("apk-test"))
	got := strings.Join(objects(Collisions(w.plan, w.rels)), "\n")
	for _, want := range []string{
		"ClusterRoleBinding apk-wso2-apk-role-binding",
		"ClusterRoleBinding apk-wso2-apk-gateway-api-admission",
		"ValidatingWebhookConfiguration apk-wso2-apk-gateway-api-admission",
		"ClusterIssuer apk-wso2-apk-selfsigned-issuer",
		"ClusterRole apk-wso2-apk-cleanup", // the hook
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no collision on %s", want)
		}
	}
	if strings.Contains(got, "ConfigMap") {
		t.Errorf("namespaced objects in two namespaces collide:\n%s", got)
	}
}

// apkgenValues are the values apkgen's CUE gives dp-per-namespace
// releases (without the ignored rootCaSecretName).
func apkgenValues(rel, ns, gw, sys string, first bool) map[string]any {
	v := docsValues(ns)
	apk := v["wso2"].(map[string]any)["apk"].(map[string]any)
	apk["listener"] = map[string]any{"hostname": sys}
	apk["auth"] = map[string]any{"roleName": rel + "-wso2apk-role"}
	dp := apk["dp"].(map[string]any)
	dp["gatewayClass"] = map[string]any{"name": rel + "-wso2-apk"}
	dp["gateway"] = map[string]any{"listener": map[string]any{"hostname": gw, "dns": []any{"*." + gw}}}
	v["gatewaySystem"] = map[string]any{"enableClusterRoleCreation": first}
	v["certmanager"] = map[string]any{"enabled": false, "enableClusterIssuer": false, "enableRootCa": false,
		"issuerKind": "Issuer", "listeners": map[string]any{"issuerName": "apk-ca-issuer"},
		"servers": map[string]any{"issuerName": "apk-ca-issuer"}}
	return v
}

var deleteCRDs = func() []plan.Patch {
	var out []plan.Patch
	for _, crd := range []string{"apipolicies", "authentications", "tokenissuers"} {
		out = append(out, plan.Patch{
			Target: map[string]any{"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "name": crd + ".dp.wso2.com"},
			Patch:  "$patch: delete\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n",
		})
	}
	return out
}()

// TestApkgenValuesPass: apkgen's values and post-render patches leave
// nothing to collide, and every check passes.
func TestApkgenValuesPass(t *testing.T) {
	w := newWorld(t)
	w.add("dev", "apk-dev", "apk-dev", apkgenValues("apk-dev", "apk-dev", "dev.gw.example.com", "dev.apk.example.com", true), deleteCRDs...)
	w.add("test", "apk-test", "apk-test", apkgenValues("apk-test", "apk-test", "test.gw.example.com", "test.apk.example.com", false), deleteCRDs...)
	schemas, err := kubeschema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var fs []Finding
	fs = append(fs, Collisions(w.plan, w.rels)...)
	fs = append(fs, Namespaces(w.plan, w.rels)...)
	fs = append(fs, Schemas(schemas, w.rels)...)
	for _, r := range w.rels {
		f, err := IgnoredValues(r)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f...)
	}
	for _, f := range fs {
		t.Error(f)
	}
}

// TestForeignNamespace: an object put into another environment's namespace
// (here by a post-render patch) is reported with both environments.
func TestForeignNamespace(t *testing.T) {
	w := newWorld(t)
	w.add("dev", "apk-dev", "apk-dev", nil, plan.Patch{
		Target: map[string]any{"kind": "ConfigMap", "name": "apk-dev-wso2-apk-log-conf"},
		Patch:  "- op: replace\n  path: /metadata/namespace\n  value: apk-test\n",
	})
	w.add("test", "apk-test", "apk-test", nil)
	fs := Namespaces(w.plan, w.rels)
	if len(fs) != 1 {
		t.Fatalf("findings %v, want one", fs)
	}
	f := fs[0]
	if f.Object != "ConfigMap apk-dev-wso2-apk-log-conf" || !reflect.DeepEqual(f.Envs, []string{"dev", "test"}) ||
		!strings.Contains(f.Message, "namespace apk-test, which is environment test's") {
		t.Errorf("finding %+v", f)
	}
}

// TestSchemaCheck: an annotation given as a boolean renders an invalid
// Service.
func TestSchemaCheck(t *testing.T) {
	w := newWorld(t)
	w.add("dev", "apk-dev", "apk-dev", map[string]any{"wso2": map[string]any{"apk": map[string]any{"dp": map[string]any{
		"gateway": map[string]any{"service": map[string]any{"annotations": map[string]any{
			"service.beta.kubernetes.io/aws-load-balancer-internal": true}}}}}}})
	schemas, err := kubeschema.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	fs := Schemas(schemas, w.rels)
	if len(fs) != 1 || fs[0].Object != "Service apk-dev-wso2-apk-gateway-service" ||
		!strings.Contains(fs[0].Message, "/metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-internal") {
		t.Fatalf("findings %v", fs)
	}
}

// TestLandings: the hostname must be on a Gateway listener; a ConfigMap
// must list the namespace.
func TestLandings(t *testing.T) {
	lands := []plan.Landing{
		{Kind: "Gateway", In: "spec.listeners.hostname", Value: "*.dev.gw.example.com", What: "the gateway hostname"},
		{Kind: "ConfigMap", Name: "apk-dev-wso2-apk-log-conf", In: "data", Value: "apk-dev", What: "the adapter's apiNamespaces"},
	}
	w := newWorld(t)
	good := w.add("dev", "apk-dev", "apk-dev", apkgenValues("apk-dev", "apk-dev", "dev.gw.example.com", "dev.apk.example.com", true))
	good.Release.Lands = lands
	if fs := Landings(w.rels); len(fs) != 0 {
		t.Errorf("apkgen's values: %v", fs)
	}
	w = newWorld(t)
	bad := w.add("dev", "apk-dev", "apk-dev", map[string]any{"wso2": map[string]any{"apk": map[string]any{"dp": map[string]any{
		"adapter": map[string]any{"configs": map[string]any{"apiNamespaces": []any{"apk-dev"}}}}}}})
	bad.Release.Lands = lands
	fs := Landings(w.rels)
	if got := objects(fs); !reflect.DeepEqual(got, []string{"ConfigMap apk-dev-wso2-apk-log-conf", "Gateway"}) {
		t.Fatalf("findings %v", fs)
	}
	if !strings.Contains(fs[0].Message+fs[1].Message, `the gateway hostname "*.dev.gw.example.com" is not in any Gateway (at spec.listeners.hostname)`) {
		t.Errorf("messages:\n%s\n%s", fs[0].Message, fs[1].Message)
	}
}

// TestIgnoredValues: the docs' apiNamespaces path without .deployment., a
// key the chart does not know and a value only a switched-off template
// reads are reported; the values the chart reads are not.
func TestIgnoredValues(t *testing.T) {
	w := newWorld(t)
	v := apkgenValues("apk-dev", "apk-dev", "dev.gw.example.com", "dev.apk.example.com", true)
	dp := v["wso2"].(map[string]any)["apk"].(map[string]any)["dp"].(map[string]any)
	dp["adapter"].(map[string]any)["configs"] = map[string]any{"apiNamespaces": []any{"apk-dev"}}
	v["idp"] = map[string]any{"enabled": false}
	v["certmanager"].(map[string]any)["rootCaSecretName"] = "apk-root-certificate"
	r := w.add("dev", "apk-dev", "apk-dev", v)
	fs, err := IgnoredValues(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"values.certmanager.rootCaSecretName",
		"values.idp.enabled",
		"values.wso2.apk.dp.adapter.configs.apiNamespaces",
	}
	if got := objects(fs); !reflect.DeepEqual(got, want) {
		t.Fatalf("ignored %v, want %v", got, want)
	}
	for _, f := range fs {
		if f.Check != Ignored || !strings.HasPrefix(f.Message, "dev (release apk-dev): value ") {
			t.Errorf("finding %s", f)
		}
	}
	// With its ClusterIssuer on, the chart reads rootCaSecretName even
	// though the value is its default (removing it changes nothing).
	v["certmanager"].(map[string]any)["enableClusterIssuer"] = true
	r = w.add("dev2", "apk-dev2", "apk-dev2", v)
	fs, err = IgnoredValues(r)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"values.idp.enabled", "values.wso2.apk.dp.adapter.configs.apiNamespaces"}
	if got := objects(fs); !reflect.DeepEqual(got, want) {
		t.Errorf("with the ClusterIssuer on, ignored %v, want %v (rootCaSecretName is read)", got, want)
	}
}

func TestLeavesAndEdits(t *testing.T) {
	v := map[string]any{"a": map[string]any{"b": []any{"x", "y"}, "c": []any{map[string]any{"d": 1}}, "e": map[string]any{}}, "f": nil}
	var paths []string
	for _, l := range leavesOf(v, nil) {
		paths = append(paths, pathString(l.path))
	}
	if want := []string{"a.b", "a.c[0].d"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("leaves %v, want %v", paths, want)
	}
	got := removeAt(v, []any{"a", "c", 0, "d"})
	if len(got["a"].(map[string]any)["c"].([]any)[0].(map[string]any)) != 0 {
		t.Error("removeAt did not remove")
	}
	if v["a"].(map[string]any)["c"].([]any)[0].(map[string]any)["d"] != 1 {
		t.Error("removeAt changed its input")
	}
	if setAt(v, []any{"a", "b"}, "z")["a"].(map[string]any)["b"] != "z" || v["a"].(map[string]any)["b"] == "z" {
		t.Error("setAt")
	}
}
