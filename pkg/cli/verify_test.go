package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/internal/charttest"
	"github.com/apkgen/apkgen/pkg/manifest"
)

// envFile writes examples/dp-per-namespace.yaml into a temporary folder,
// with extra top-level YAML (a charts block, say) and the environments'
// extra lines, and returns its path. The chart cache is a fresh folder.
func envFile(t *testing.T, extra string, devExtra string) string {
	t.Helper()
	return exampleWith(t, "dp-per-namespace", func(s string) string {
		const dev = "    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}\n"
		return strings.Replace(s, dev, dev+devExtra, 1) + extra
	})
}

// exampleWith writes examples/<name>.yaml, changed by edit, into a
// temporary folder and returns its path. The chart cache and Helm's
// configuration are fresh folders.
func exampleWith(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	t.Setenv("APKGEN_CACHE_DIR", t.TempDir())
	t.Setenv("HELM_CONFIG_HOME", t.TempDir())
	b, err := os.ReadFile("../../examples/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "environments.yaml")
	if err := os.WriteFile(p, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func expect(t *testing.T, code int, stdout, stderr string, want int, contains ...string) {
	t.Helper()
	if code != want {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
	for _, c := range contains {
		if !strings.Contains(stdout+stderr, c) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", c, stdout, stderr)
		}
	}
}

const passed = "verify: 2 environments, 2 releases, 32 objects: every check passed"

// TestVerifyHTTPRepository: apkgen's output for dp-per-namespace, with the
// chart from an HTTP Helm repository, passes every check.
func TestVerifyHTTPRepository(t *testing.T) {
	url, _ := charttest.HTTPRepo(t, charttest.ChartDir(t))
	f := envFile(t, "charts:\n  apk: {repository: "+url+"}\n", "")
	code, out, errs := run("verify", "-f", f)
	expect(t, code, out, errs, ExitOK, passed)
}

// TestVerifyOCIRegistry: the same with the chart from an OCI registry.
func TestVerifyOCIRegistry(t *testing.T) {
	repo, _ := charttest.OCIRepo(t, charttest.ChartDir(t))
	f := envFile(t, "charts:\n  apk: {repository: \""+repo+"\"}\n", "")
	code, out, errs := run("verify", "-f", f, "--plain-http")
	expect(t, code, out, errs, ExitOK, passed)
}

// TestVerifyChartDir: no repository at all, charts from a folder.
func TestVerifyChartDir(t *testing.T) {
	f := envFile(t, "", "")
	code, out, errs := run("verify", "-f", f, "--chart-dir", filepath.Dir(charttest.ChartDir(t)))
	expect(t, code, out, errs, ExitOK, passed)
}

// TestVerifyFindsIgnoredValue: the docs' apiNamespaces path given through
// values: is reported, and verify exits 1.
func TestVerifyFindsIgnoredValue(t *testing.T) {
	f := envFile(t, "", "    values:\n      apk:\n        wso2: {apk: {dp: {adapter: {configs: {apiNamespaces: [apk-dev]}}}}}\n")
	code, out, errs := run("verify", "-f", f, "--chart-dir", filepath.Dir(charttest.ChartDir(t)))
	expect(t, code, out, errs, ExitDifferences,
		`ignored: dev (release apk-dev): value wso2.apk.dp.adapter.configs.apiNamespaces = ["apk-dev"] changes nothing chart apk-helm 1.3.0-1 renders`,
		"1 problem")
}

// TestVerifyFindsCollision: a values: override that gives both data planes
// the chart's default GatewayClass name collides.
func TestVerifyFindsCollision(t *testing.T) {
	f := envFile(t, "", "    values:\n      apk:\n        wso2: {apk: {dp: {gatewayClass: {name: apk-test-wso2-apk}}}}\n")
	code, out, errs := run("verify", "-f", f, "--chart-dir", filepath.Dir(charttest.ChartDir(t)))
	expect(t, code, out, errs, ExitDifferences,
		"collision: cluster nonprod: GatewayClass apk-test-wso2-apk is rendered by dev (release apk-dev) and test (release apk-test)")
}

func TestVerifyFailures(t *testing.T) {
	f := envFile(t, "", "")
	code, out, errs := run("verify", "-f", f, "--chart-dir", filepath.Join(t.TempDir(), "nope"))
	expect(t, code, out, errs, ExitInvalid, "no such folder")

	code, out, errs = run("verify", "-f", f, "--chart-dir", t.TempDir())
	expect(t, code, out, errs, ExitFailure, "chart apk-helm 1.3.0-1", "not in --chart-dir", "(it has: none)")

	url, _ := charttest.HTTPRepo(t, filepath.Join(charttest.ChartDir(t), "charts", "cert-manager"))
	f = envFile(t, "charts:\n  apk: {repository: "+url+"}\n", "")
	code, out, errs = run("verify", "-f", f)
	expect(t, code, out, errs, ExitFailure, "/index.yaml has no chart apk-helm version 1.3.0-1")

	// A release that does not render: a failure (exit 3), not the user's
	// input error.
	f = envFile(t, "", "    values: {apk: {wso2: not-a-map}}\n")
	code, out, errs = run("verify", "-f", f, "--chart-dir", filepath.Dir(charttest.ChartDir(t)))
	expect(t, code, out, errs, ExitFailure, "rendering")

	// A mistaken --env is a usage error before any chart is pulled: the
	// repository here does not answer.
	f = envFile(t, "charts:\n  apk: {repository: http://127.0.0.1:1/charts}\n", "")
	root := t.TempDir()
	code, out, errs = run("build", "-f", f, "-o", root, "--render", "--env", "nope")
	expect(t, code, out, errs, ExitInvalid, "--env nope: no such environment")

	code, out, errs = run("verify", "-f", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != ExitInvalid {
		t.Errorf("missing file: exit %d\n%s%s", code, out, errs)
	}
}

// TestBuildRenderEnvOtherCluster: build --render --env renders the
// releases of the selected environments' clusters only: an environment on
// another cluster whose chart cannot be had does not stop it, and its
// rendered files are kept as they are. A full build --render fails on it.
func TestBuildRenderEnvOtherCluster(t *testing.T) {
	f := exampleWith(t, "dp-per-namespace", func(s string) string {
		s = strings.Replace(s, "clusters:\n", "clusters:\n  other: {}\n", 1)
		return s + `  far:
    pattern: dp-per-namespace
    cluster: other
    namespace: apk-far
    hostnames: {gateway: far.gw.example.com, system: far.apk.example.com}
    charts: {apk: {version: 9.9.9, allowUntestedVersion: true}}
`
	})
	root := t.TempDir()
	charts := filepath.Dir(charttest.ChartDir(t))
	code, out, errs := run("build", "-f", f, "-o", root, "--render", "--chart-dir", charts, "--env", "dev")
	expect(t, code, out, errs, ExitOK, "added")
	if _, err := os.Stat(filepath.Join(root, "deploy", "rendered", "dev", "apk")); err != nil {
		t.Errorf("dev was not rendered: %v", err)
	}
	code, _, errs = run("build", "-f", f, "-o", root, "--render", "--chart-dir", charts)
	if code != ExitFailure || !strings.Contains(errs, "environment far") {
		t.Errorf("a full build --render: exit %d, stderr %q; want exit %d naming far", code, errs, ExitFailure)
	}
}

// TestBuildRender writes the rendered objects into the owned tree, one
// file per object, byte-stable across builds; a build without --render
// removes them; --env keeps the other environments' rendered files.
func TestBuildRender(t *testing.T) {
	f := envFile(t, "", "")
	root := t.TempDir()
	charts := filepath.Dir(charttest.ChartDir(t))
	code, out, errs := run("build", "-f", f, "-o", root, "--render", "--chart-dir", charts)
	expect(t, code, out, errs, ExitOK, "added")
	dir := filepath.Join(root, "deploy", "rendered")
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	role := read("dev/apk/clusterrole-apk-dev-wso2apk-role.yaml")
	if !strings.HasPrefix(role, manifest.Header) || !strings.Contains(role, "kind: ClusterRole\n") || strings.Contains(role, "\n  namespace:") {
		t.Errorf("cluster-scoped object file:\n%s", role)
	}
	// The chart sets no namespace on the Service: helm install puts it in
	// the release's namespace, and so does the file.
	if svc := read("test/apk/service-apk-test-wso2-apk-gateway-service.yaml"); !strings.Contains(svc, "  namespace: apk-test\n") {
		t.Errorf("namespaced object without its namespace:\n%s", svc)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "apk", "*.yaml"))
	if len(files) != 32 {
		t.Errorf("%d rendered files, want one per object (32)", len(files))
	}

	code, out, errs = run("build", "-f", f, "-o", root, "--render", "--chart-dir", charts)
	expect(t, code, out, errs, ExitOK, "up to date")
	// A check says so with --render; without, it says how to check and
	// update a folder of rendered releases, not to run a build that
	// removes them.
	code, out, errs = run("build", "-f", f, "-o", root, "--check", "--render", "--chart-dir", charts)
	expect(t, code, out, errs, ExitOK, "up to date")
	code, out, errs = run("build", "-f", f, "-o", root, "--check")
	expect(t, code, out, errs, ExitDifferences, `check it with "apkgen build --check --render"`)

	// --env dev re-renders dev; test's rendered files are kept from disk.
	code, out, errs = run("build", "-f", f, "-o", root, "--env", "dev")
	expect(t, code, out, errs, ExitOK, "removed")
	if _, err := os.Stat(filepath.Join(dir, "test", "apk", "clusterrole-apk-test-wso2apk-role.yaml")); err != nil {
		t.Errorf("build --env dev removed test's rendered files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev")); err == nil {
		t.Error("build --env dev without --render kept dev's rendered files")
	}

	code, out, errs = run("build", "-f", f, "-o", root)
	expect(t, code, out, errs, ExitOK, "removed")
	if _, err := os.Stat(dir); err == nil {
		t.Error("a build without --render kept rendered/")
	}

	code, out, errs = run("build", "-f", f, "-o", root, "--chart-dir", charts)
	expect(t, code, out, errs, ExitInvalid, "--chart-dir and --plain-http go with --render")
}

// TestVerifyTLSSecrets: the Secrets named in tls reach the Gateway's
// listeners as the chart renders them (the release's lands).
func TestVerifyTLSSecrets(t *testing.T) {
	f := envFile(t, "", "    tls: {gateway: dev-gw-tls, system: dev-apk-tls}\n")
	code, out, errs := run("verify", "-f", f, "--chart-dir", filepath.Dir(charttest.ChartDir(t)))
	expect(t, code, out, errs, ExitOK, passed)
}

// TestVerifyAgent: the agent's values must land in its configuration
// (TestVerifyExamples: they do); an environment label the control plane
// does not have, given through values:, is reported.
func TestVerifyAgent(t *testing.T) {
	f := exampleWith(t, "cp-vm-dp-k8s", appendLines("    values:\n      agent: {controlPlane: {environmentLabels: Other_APK}}\n"))
	charts := filepath.Dir(charttest.ChartDir(t))
	code, out, errs := run("verify", "-f", f, "--chart-dir", charts)
	expect(t, code, out, errs, ExitDifferences,
		`landing: prod (release apim-apk-agent): the control plane's gateway environment (controlPlane.environmentLabels) "Default_APK" is not in ConfigMap apim-apk-agent-log-conf`,
		"1 problem")
}

// TestVerifyControlPlane: APIM's gateway environment must be the one the
// agent names; a list without it (given through values:, which replaces
// the list) is reported.
func TestVerifyControlPlane(t *testing.T) {
	charts := filepath.Dir(charttest.ChartDir(t))
	f := exampleWith(t, "cp-dp-k8s", appendLines("    values:\n      apim: {wso2: {apim: {configurations: {gateway: {environments: [{name: Default, type: hybrid, gatewayType: Regular, "+
		"provider: wso2, displayInApiConsole: true, description: Synapse, showAsTokenEndpointUrl: true, serviceName: gw, servicePort: 9443, "+
		"wsHostname: ws.example.com, httpHostname: gw.example.com, websubHostname: websub.example.com}]}}}}}\n"))
	code, out, errs := run("verify", "-f", f, "--chart-dir", charts)
	expect(t, code, out, errs, ExitDifferences,
		`landing: uat (release apim): the APK gateway environment's name (the agent's environmentLabels) "Default_APK" is not in any ConfigMap (at data) of chart wso2am-all-in-one 4.6.0-4`,
		"1 problem")
}

// TestVerifyExamples: every example, each pattern and both engines, passes
// every check against the test charts.
func TestVerifyExamples(t *testing.T) {
	t.Setenv("APKGEN_CACHE_DIR", t.TempDir())
	charts := filepath.Dir(charttest.ChartDir(t))
	examples, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(examples) < 5 {
		t.Fatalf("examples: %v %v", examples, err)
	}
	for _, f := range examples {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, errs := run("verify", "-f", f, "--chart-dir", charts)
			expect(t, code, out, errs, ExitOK, "every check passed")
		})
	}
}

// appendLines is an edit for exampleWith: lines added at the end, to the
// example's last environment.
func appendLines(lines string) func(string) string {
	return func(s string) string { return s + lines }
}
