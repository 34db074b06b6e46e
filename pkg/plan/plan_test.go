package plan

import (
	"testing"

	"github.com/apkgen/apkgen/pkg/load"
)

// Clusters set alike share #Infrastructure's evaluation (infrastructures);
// each still gets the infrastructure of its own settings, in a copy of
// its own.
func TestClusterInfrastructure(t *testing.T) {
	f, err := load.Parse("envs.yaml", []byte(`apiVersion: apkgen/v1alpha1
kind: Environments
gitops: {engine: flux, path: deploy}
clusters:
  a: {}
  b: {}
  c: {certManager: {install: false}}
  d: {certManager: {version: v1.17.2}}
  e: {server: "https://e.example.com:6443"}
environments:
  dev:
    pattern: dp-per-namespace
    cluster: a
    namespace: apk-dev
    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}
`), load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	certManager := map[string]string{}
	byName := map[string]*Cluster{}
	for _, c := range p.Clusters {
		byName[c.Name] = c
		for _, r := range c.Releases {
			if r.Key == "cert-manager" {
				certManager[c.Name] = r.Chart.Version
			}
		}
		if len(c.Objects) != 1 || c.CRDs.File == "" {
			t.Errorf("cluster %s: objects %v, CRD bundle %+v: want the admission ClusterRole and the bundle", c.Name, c.Objects, c.CRDs)
		}
	}
	want := map[string]string{"a": "v1.17.1", "b": "v1.17.1", "d": "v1.17.2", "e": "v1.17.1"}
	if len(certManager) != len(want) {
		t.Errorf("cert-manager releases %v, want %v", certManager, want)
	}
	for name, v := range want {
		if certManager[name] != v {
			t.Errorf("cluster %s: cert-manager %q, want %q", name, certManager[name], v)
		}
	}
	a, b := byName["a"], byName["b"]
	if a.Releases[0] == b.Releases[0] || &a.Objects[0] == &b.Objects[0] {
		t.Error("clusters a and b share their releases or objects: each must get a copy")
	}
	a.Releases[0].Values["changed"] = true
	if _, ok := b.Releases[0].Values["changed"]; ok {
		t.Error("a change to cluster a's release values shows in cluster b's")
	}
}
