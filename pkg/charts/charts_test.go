package charts

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/apkgen/apkgen/internal/charttest"
	"github.com/apkgen/apkgen/pkg/plan"
)

func apk(repo string) plan.Chart {
	return plan.Chart{Name: "apk-helm", Version: "1.3.0-1", Repository: repo}
}

func sum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// TestHTTPRepoAndCache pulls from an HTTP Helm repository, finds the
// archive in the cache under its digest, and reads it back from there
// when the repository is gone.
func TestHTTPRepoAndCache(t *testing.T) {
	url, served := charttest.HTTPRepo(t, charttest.ChartDir(t))
	cache := t.TempDir()
	c, err := (&Source{CacheDir: cache}).Get(apk(url))
	if err != nil {
		t.Fatal(err)
	}
	want := sum(t, filepath.Join(served, "apk-helm-1.3.0-1.tgz"))
	if c.Digest != want {
		t.Errorf("digest %s, want the archive's %s", c.Digest, want)
	}
	if !strings.HasPrefix(c.From, url+"/") {
		t.Errorf("From = %s, want a URL of %s", c.From, url)
	}
	blob := filepath.Join(cache, "apk-helm", "1.3.0-1", strings.Replace(want, ":", "-", 1)+".tgz")
	if got := sum(t, blob); got != want {
		t.Errorf("cached archive %s has digest %s", blob, got)
	}
	ch, err := c.Load()
	if err != nil || ch.Metadata.Name != "apk-helm" {
		t.Fatalf("load: %v", err)
	}
	// The repository is gone: a new source reads the cache.
	if err := os.Remove(filepath.Join(served, "index.yaml")); err != nil {
		t.Fatal(err)
	}
	again, err := (&Source{CacheDir: cache}).Get(apk(url))
	if err != nil {
		t.Fatalf("from the cache: %v", err)
	}
	if again.From != blob {
		t.Errorf("From = %s, want the cache %s", again.From, blob)
	}
	// Another repository with the same chart is not served from that cache entry.
	if _, err := (&Source{CacheDir: cache}).Get(apk(url + "/other")); err == nil {
		t.Error("a chart of another repository came from the cache")
	}
	// A corrupt cache entry is not used.
	if err := os.WriteFile(blob, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Source{CacheDir: cache}).Get(apk(url)); err == nil {
		t.Error("a corrupt cached archive was used (and the repository is gone)")
	}
}

// TestUnwritableCacheIsNoCache: a cache folder that cannot be made (a
// file is in its way) means no cache, not an error.
func TestUnwritableCacheIsNoCache(t *testing.T) {
	url, _ := charttest.HTTPRepo(t, charttest.ChartDir(t))
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := (&Source{CacheDir: filepath.Join(file, "cache")}).Get(apk(url))
	if err != nil {
		t.Fatalf("with a cache that cannot be written: %v", err)
	}
	if ch, err := c.Load(); err != nil || ch.Metadata.Name != "apk-helm" {
		t.Fatalf("load: %v", err)
	}
}

// TestHTTPDigestMismatch refuses an archive that is not what the index says.
func TestHTTPDigestMismatch(t *testing.T) {
	url, served := charttest.HTTPRepo(t, charttest.ChartDir(t))
	p := filepath.Join(served, "apk-helm-1.3.0-1.tgz")
	other := charttest.Package(t, filepath.Join(charttest.ChartDir(t), "charts", "cert-manager"), t.TempDir())
	b, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = (&Source{CacheDir: t.TempDir()}).Get(apk(url))
	if err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("err = %v, want a digest mismatch", err)
	}
}

// TestHTTPWrongChart refuses an archive that matches the index's digest but
// is another chart: the index is the repository's word, the archive the
// fact.
func TestHTTPWrongChart(t *testing.T) {
	url, served := charttest.HTTPRepo(t, charttest.ChartDir(t))
	p := filepath.Join(served, "apk-helm-1.3.0-1.tgz")
	old, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(charttest.Package(t, filepath.Join(charttest.ChartDir(t), "charts", "cert-manager"), t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, other, 0o644); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(served, "index.yaml")
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	oldSum, newSum := sha256.Sum256(old), sha256.Sum256(other)
	fixed := strings.Replace(string(b), hex.EncodeToString(oldSum[:]), hex.EncodeToString(newSum[:]), 1)
	if fixed == string(b) {
		t.Fatal("the index does not hold the archive's digest")
	}
	if err := os.WriteFile(index, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = (&Source{CacheDir: t.TempDir()}).Get(apk(url))
	if err == nil || !strings.Contains(err.Error(), "not apk-helm 1.3.0-1") {
		t.Fatalf("err = %v, want the archive refused for holding another chart", err)
	}
}

// TestHTTPMissingVersion names the index and the version.
func TestHTTPMissingVersion(t *testing.T) {
	url, _ := charttest.HTTPRepo(t, charttest.ChartDir(t))
	c := apk(url)
	c.Version = "9.9.9"
	_, err := (&Source{}).Get(c)
	if err == nil || !strings.Contains(err.Error(), "no chart apk-helm version 9.9.9") {
		t.Fatalf("err = %v", err)
	}
}

// TestOCIRegistry pulls what Helm's registry client pushed to an
// in-process OCI registry, over plain HTTP.
func TestOCIRegistry(t *testing.T) {
	repo, digests := charttest.OCIRepo(t, charttest.ChartDir(t))
	t.Setenv("HELM_CONFIG_HOME", t.TempDir())
	cache := t.TempDir()
	c, err := (&Source{CacheDir: cache, PlainHTTP: true}).Get(apk(repo))
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest != digests["apk-helm"] {
		t.Errorf("digest %s, want the pushed layer's %s", c.Digest, digests["apk-helm"])
	}
	if _, err := c.Load(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(cache, "apk-helm", "1.3.0-1"))
	if len(entries) != 2 {
		t.Errorf("cache holds %d files, want the archive and the repository's reference", len(entries))
	}
	missing := apk(repo)
	missing.Version = "1.2.0"
	_, err = (&Source{PlainHTTP: true}).Get(missing)
	if err == nil || !strings.Contains(err.Error(), "/charts/apk-helm:1.2.0") {
		t.Errorf("err = %v, want the reference that is missing", err)
	}
}

// TestChartDir finds charts by their Chart.yaml, archived or unpacked, and
// says what the folder has when one is missing.
func TestChartDir(t *testing.T) {
	dir := t.TempDir()
	charttest.Package(t, charttest.ChartDir(t), dir)
	c, err := (&Source{Dir: dir}).Get(apk("https://unreachable.invalid"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest == "" || !strings.HasSuffix(c.From, ".tgz") {
		t.Errorf("archive: digest %q from %s", c.Digest, c.From)
	}
	unpacked, err := (&Source{Dir: filepath.Dir(charttest.ChartDir(t))}).Get(apk(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unpacked.Load(); err != nil {
		t.Fatal(err)
	}
	missing := apk("")
	missing.Version = "1.2.0"
	_, err = (&Source{Dir: dir}).Get(missing)
	if err == nil || !strings.Contains(err.Error(), "it has: apk-helm 1.3.0-1") {
		t.Fatalf("err = %v, want the list of what the folder has", err)
	}
	if err := CheckDir(filepath.Join(dir, "nope")); err == nil {
		t.Error("a missing --chart-dir is accepted")
	}
	// An unpacked chart without its dependencies is refused, as helm
	// install refuses it.
	c, err = (&Source{Dir: withoutDependencies(t)}).Get(apk(""))
	if err == nil {
		_, err = c.Load()
	}
	if err == nil || !strings.Contains(err.Error(), "lacks its dependencies cert-manager in charts/") {
		t.Errorf("a chart without its charts/: %v", err)
	}
}

// withoutDependencies returns a chart folder holding the test chart
// unpacked without its charts/ folder.
func withoutDependencies(t *testing.T) string {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "apk-helm")
	if err := os.CopyFS(bare, os.DirFS(charttest.ChartDir(t))); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(bare, "charts")); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(bare)
}

// TestDependenciesCheckedOnce: a chart is loaded for each release
// rendered from it; its dependencies are checked at the first Load only,
// and every Load of a chart that lacks one fails the same way.
func TestDependenciesCheckedOnce(t *testing.T) {
	calls := 0
	checkDependencies = func(ch *chart.Chart) error {
		calls++
		return missingDependencies(ch)
	}
	t.Cleanup(func() { checkDependencies = missingDependencies })
	for _, tc := range []struct{ name, dir, err string }{
		{"complete", filepath.Dir(charttest.ChartDir(t)), ""},
		{"without charts/", withoutDependencies(t),
			"chart apk-helm 1.3.0-1 lacks its dependencies cert-manager in charts/ (run helm dependency build on it)"},
	} {
		calls = 0
		c, err := (&Source{Dir: tc.dir}).Get(apk(""))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := c.Load(); errText(err) != tc.err {
				t.Errorf("%s: Load %d: %v, want %q", tc.name, i+1, err, tc.err)
			}
		}
		if calls != 1 {
			t.Errorf("%s: dependencies checked %d times in 3 Loads, want 1", tc.name, calls)
		}
	}
}

// errText is err's message, "" for none.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
