package apkgen_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/model"
)

// overrides is a Flux file whose values: escape hatch changes what the
// shared release base says (a scalar, a map's key) and adds a list, with a
// chart version of its own. (A map of the base replaced by a scalar is an
// input error: testdata/invalid/values-replace-shared-map.txtar in pkg/cli.)
const overrides = `apiVersion: apkgen/v1alpha1
kind: Environments
clusters:
  nonprod: {}
environments:
  dev:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-dev
    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}
    charts:
      apk: {version: 1.3.0-2, allowUntestedVersion: true}
    values:
      apk:
        skipCrds: false
        certmanager:
          enabled: true
          listeners: {issuerName: other}
        wso2:
          apk:
            dp:
              gateway:
                listener:
                  dns: [a.example.com]
  test:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-test
    hostnames: {gateway: test.gw.example.com, system: test.apk.example.com}
`

// TestReleasePatchesRebuildPlan: in the Flux tree an environment's
// HelmRelease is its shared base (apps/base/<key>, #ReleaseBase) with the
// environment's patch, which says only what the base does not. Built with
// kustomize, it must be the release the plan computed: release name, chart
// version, CRD policy, post-render patches and values (the escape hatch
// included).
func TestReleasePatchesRebuildPlan(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"../../examples/mixed.yaml",
		"../../examples/cp-dp-k8s.yaml",
		"../../examples/cp-vm-dp-k8s.yaml",
		"../../examples/dp-per-namespace.yaml",
		filepath.Join(dir, "envgen.yaml"),
		filepath.Join(dir, "overrides.yaml"),
	}
	if err := os.WriteFile(files[4], envgen.Generate(100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[5], []byte(overrides), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b := compileFile(t, file)
			for _, e := range b.Plan.Environments {
				for _, r := range e.Releases {
					hr := b.find(t, "apps/"+e.Name, "HelmRelease", r.Key)
					eq(t, e.Name+" "+r.Key+" releaseName", str(hr, "spec.releaseName"), r.ReleaseName)
					eq(t, e.Name+" "+r.Key+" version", str(hr, "spec.chart.spec.version"), r.Chart.Version)
					eq(t, e.Name+" "+r.Key+" install.crds", str(hr, "spec.install.crds"), r.CRDs)
					eq(t, e.Name+" "+r.Key+" upgrade.crds", str(hr, "spec.upgrade.crds"), r.CRDs)
					jsonEq(t, e.Name+" "+r.Key+" values", values(hr), r.Values)
					jsonEq(t, e.Name+" "+r.Key+" post-render patches", postRenderPatches(hr), model.PatchObjects(r.PostRender))
				}
			}
		})
	}
}
