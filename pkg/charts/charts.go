// Package charts finds the Helm charts a plan names: in a folder the user
// gives (air-gapped use), in apkgen's cache, or in the chart's repository,
// an HTTP Helm repository (index.yaml) or an OCI registry (oci://). A pulled
// chart is checked against the digest its repository publishes and cached
// by name, version and digest.
package charts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/pkg/plan"
)

// DefaultCacheDir is where pulled charts are kept: charts/ in apkgen's
// cache folder ($APKGEN_CACHE_DIR, else apkgen under the user's cache
// folder); "" when caching is off.
func DefaultCacheDir() string {
	if r := buildcache.Root(); r != "" {
		return filepath.Join(r, "charts")
	}
	return ""
}

// Source finds charts. With Dir set it only looks there and never uses the
// network; otherwise it looks in CacheDir, then pulls.
type Source struct {
	// Dir is a folder of chart archives (.tgz) or unpacked charts.
	Dir string
	// CacheDir holds pulled charts; "" disables the cache.
	CacheDir string
	// PlainHTTP talks to oci:// registries over plain HTTP (helm --plain-http).
	PlainHTTP bool

	mu      sync.Mutex
	dirIdx  map[string]string // name@version → path in Dir
	dirErr  error
	dirSeen []string
	loaded  map[string]*Chart
}

// Chart is a chart found by a Source. Load returns a fresh copy each time:
// rendering changes the chart it renders (disabled sub-charts are removed).
type Chart struct {
	Name, Version string
	// Digest is the sha256 of the archive ("sha256:…"), empty for an
	// unpacked chart of the chart folder.
	Digest string
	// From says where it came from: a path, or the URL it was pulled from.
	From string

	archive []byte // the .tgz, when there is one
	dir     string // the unpacked chart, otherwise

	// A chart is loaded for each release rendered from it, and its
	// dependencies are the same every time: they are checked once.
	depsChecked sync.Once
	depsErr     error
}

// Load returns a new copy of the chart.
func (c *Chart) Load() (*chart.Chart, error) {
	var ch *chart.Chart
	var err error
	if c.archive != nil {
		ch, err = loader.LoadArchive(bytes.NewReader(c.archive))
	} else {
		ch, err = loader.LoadDir(c.dir)
	}
	if err != nil {
		return nil, err
	}
	c.depsChecked.Do(func() { c.depsErr = checkDependencies(ch) })
	return ch, c.depsErr
}

// checkDependencies is missingDependencies; tests count its calls.
var checkDependencies = missingDependencies

// missingDependencies refuses a chart that lacks a dependency its
// Chart.yaml lists, as helm install does: rendered without it, what the
// values set for the sub-chart would be reported as ignored. An unpacked
// chart gets them with `helm dependency build`.
func missingDependencies(ch *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("chart %s %s lacks its dependencies %s in charts/ (run helm dependency build on it)",
			ch.Name(), ch.Metadata.Version, strings.Join(missing, ", "))
	}
	return nil
}

// FetchError is a chart that could not be found, pulled or read.
type FetchError struct {
	Chart plan.Chart
	Err   error
}

func (e *FetchError) Error() string {
	where := e.Chart.Repository
	return fmt.Sprintf("chart %s %s (%s): %v", e.Chart.Name, e.Chart.Version, where, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// Get finds a chart: in Dir when set, else in the cache, else in its
// repository. The same chart is looked up once per Source.
func (s *Source) Get(c plan.Chart) (*Chart, error) {
	key := c.Name + "@" + c.Version + "@" + c.Repository
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.loaded[key]; ok {
		return ch, nil
	}
	var ch *Chart
	var err error
	if s.Dir != "" {
		ch, err = s.fromDir(c)
	} else {
		ch, err = s.fromCacheOrPull(c)
	}
	if err != nil {
		return nil, &FetchError{Chart: c, Err: err}
	}
	if s.loaded == nil {
		s.loaded = map[string]*Chart{}
	}
	s.loaded[key] = ch
	return ch, nil
}

// fromDir finds the chart by the name and version its Chart.yaml declares.
func (s *Source) fromDir(c plan.Chart) (*Chart, error) {
	if s.dirIdx == nil && s.dirErr == nil {
		s.dirIdx, s.dirSeen, s.dirErr = indexDir(s.Dir)
	}
	if s.dirErr != nil {
		return nil, s.dirErr
	}
	p, ok := s.dirIdx[c.Name+"@"+c.Version]
	if !ok {
		seen := "none"
		if len(s.dirSeen) > 0 {
			seen = strings.Join(s.dirSeen, ", ")
		}
		return nil, fmt.Errorf("not in --chart-dir %s (it has: %s)", s.Dir, seen)
	}
	if strings.HasSuffix(p, ".tgz") {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return &Chart{Name: c.Name, Version: c.Version, Digest: digestOf(b), From: p, archive: b}, nil
	}
	return &Chart{Name: c.Name, Version: c.Version, From: p, dir: p}, nil
}

// indexDir reads the Chart.yaml of every archive and chart folder of dir.
func indexDir(dir string) (map[string]string, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	idx := map[string]string{}
	var seen []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		var md *chart.Metadata
		switch {
		case e.IsDir():
			if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err != nil {
				continue
			}
			ch, err := loader.LoadDir(p)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", p, err)
			}
			md = ch.Metadata
		case strings.HasSuffix(e.Name(), ".tgz"):
			ch, err := loader.LoadFile(p)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", p, err)
			}
			md = ch.Metadata
		default:
			continue
		}
		key := md.Name + "@" + md.Version
		if prev, ok := idx[key]; ok {
			return nil, nil, fmt.Errorf("%s and %s are both chart %s %s", prev, p, md.Name, md.Version)
		}
		idx[key] = p
		seen = append(seen, md.Name+" "+md.Version)
	}
	sort.Strings(seen)
	return idx, seen, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// The cache holds, per chart name and version, the archives by digest and,
// per repository, which digest that repository served:
//
//	<cache>/<name>/<version>/sha256-<hex>.tgz
//	<cache>/<name>/<version>/<sha256 of the repository URL, 16 hex>.ref
//
// An archive is read back only when its content still has its digest.
func (s *Source) fromCacheOrPull(c plan.Chart) (*Chart, error) {
	if ch := s.cached(c); ch != nil {
		return ch, nil
	}
	b, digest, from, err := pull(c, s.PlainHTTP)
	if err != nil {
		return nil, err
	}
	got := digestOf(b)
	if digest != "" && got != digest {
		return nil, fmt.Errorf("%s: digest is %s, the repository says %s", from, got, digest)
	}
	digest = got
	ch := &Chart{Name: c.Name, Version: c.Version, Digest: digest, From: from, archive: b}
	loaded, err := ch.Load()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	// Whatever the repository's index or tag says, the archive must be the
	// chart asked for.
	if m := loaded.Metadata; m.Name != c.Name || m.Version != c.Version {
		return nil, fmt.Errorf("%s holds chart %s %s, not %s %s", from, m.Name, m.Version, c.Name, c.Version)
	}
	if s.CacheDir != "" {
		// A cache that cannot be written means no cache, not an error
		// (docs/reference.md §7.1): the chart is pulled again next time.
		_ = s.store(c, b, digest)
	}
	return ch, nil
}

func (s *Source) versionDir(c plan.Chart) string {
	return filepath.Join(s.CacheDir, c.Name, c.Version)
}

func refFile(repository string) string {
	sum := sha256.Sum256([]byte(repository))
	return hex.EncodeToString(sum[:8]) + ".ref"
}

func blobFile(digest string) string {
	return strings.Replace(digest, ":", "-", 1) + ".tgz"
}

func (s *Source) cached(c plan.Chart) *Chart {
	if s.CacheDir == "" {
		return nil
	}
	dir := s.versionDir(c)
	ref, err := os.ReadFile(filepath.Join(dir, refFile(c.Repository)))
	if err != nil {
		return nil
	}
	digest := strings.TrimSpace(string(ref))
	p := filepath.Join(dir, blobFile(digest))
	b, err := os.ReadFile(p)
	if err != nil || digestOf(b) != digest {
		return nil
	}
	return &Chart{Name: c.Name, Version: c.Version, Digest: digest, From: p, archive: b}
}

func (s *Source) store(c plan.Chart, b []byte, digest string) error {
	dir := s.versionDir(c)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, blobFile(digest)), b); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, refFile(c.Repository)), []byte(digest+"\n"))
}

// writeAtomic writes a file through a temporary one, so that a concurrent
// apkgen never reads half a file.
func writeAtomic(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// CheckDir reports a --chart-dir that is not a readable folder.
func CheckDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--chart-dir %s: no such folder", dir)
	}
	if err != nil {
		return fmt.Errorf("--chart-dir %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("--chart-dir %s: not a folder", dir)
	}
	return nil
}
