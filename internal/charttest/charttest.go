// Package charttest serves Helm charts to tests on 127.0.0.1: from an HTTP
// Helm repository (an index.yaml made with Helm's repo package) and from an
// in-process OCI registry (go-containerregistry) that Helm's registry
// client pushes to over plain HTTP. Only tests import it.
package charttest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
)

// ChartDir is the test double of apk-helm 1.3.0-1, from a package folder.
func ChartDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "testdata", "charts", "apk-helm")
		if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			t.Fatal("testdata/charts/apk-helm not found above " + wd)
		}
	}
}

// Package writes the chart folder as an archive into dir and returns its path.
func Package(t testing.TB, chartDir, dir string) string {
	t.Helper()
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// HTTPRepo serves the charts as a Helm repository and returns its URL. The
// folder it serves is returned too, for tests that tamper with it.
func HTTPRepo(t testing.TB, chartDirs ...string) (url, dir string) {
	t.Helper()
	dir = t.TempDir()
	for _, c := range chartDirs {
		Package(t, c, dir)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	idx, err := repo.IndexDirectory(dir, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, dir
}

// OCIRepo starts a registry, pushes the charts under <host>/charts with
// Helm's registry client and returns oci://<host>/charts and the pushed
// archives' digests by chart name.
func OCIRepo(t testing.TB, chartDirs ...string) (string, map[string]string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	dir := t.TempDir()
	for _, c := range chartDirs {
		p := Package(t, c, dir)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := loader.LoadArchive(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		ref := host + "/charts/" + ch.Name() + ":" + ch.Metadata.Version
		res, err := client.Push(b, ref, helmregistry.PushOptStrictMode(true))
		if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		digests[ch.Name()] = res.Chart.Digest
	}
	return "oci://" + host + "/charts", digests
}
