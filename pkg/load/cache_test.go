package load

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/pkg/diag"
)

// An environment is read from the cache only when everything its
// evaluation depends on is as before: the environment, the file's charts,
// its place on the cluster, the schema and the policies.
func TestCacheKeys(t *testing.T) {
	example, err := os.ReadFile("../../examples/dp-per-namespace.yaml") // dev and test on one cluster
	if err != nil {
		t.Fatal(err)
	}
	twoEnvs := string(example)
	dir := t.TempDir()
	cache := buildcache.Open(filepath.Join(dir, "cache"))
	policy := func(body string) string {
		p := filepath.Join(dir, "policy.cue")
		if err := os.WriteFile(p, []byte("package apkgen\n\n"+body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	parse := func(name, text string, opts Options) (*File, error) {
		t.Helper()
		opts.Cache = cache
		f, err := Parse(name, []byte(text), opts)
		cache.Flush()
		return f, err
	}
	// OnEvaluate is called, once, exactly when something is evaluated.
	evaluated := func(text string, opts Options, want int) *File {
		t.Helper()
		calls := countEvaluate(&opts)
		f, err := parse("envs.yaml", text, opts)
		if err != nil {
			t.Fatalf("%v", err)
		}
		if f.Evaluated != want {
			t.Errorf("evaluated %d environments, want %d", f.Evaluated, want)
		}
		if n, wantCalls := calls.Load(), min(want, 1); n != int32(wantCalls) {
			t.Errorf("OnEvaluate called %d times, want %d", n, wantCalls)
		}
		return f
	}
	uncached := evaluated(twoEnvs, Options{}, 2)
	cached := evaluated(twoEnvs, Options{}, 0)
	if len(cached.Envs) != 2 || len(uncached.Envs) != 2 {
		t.Fatalf("%d environments from the cache, %d evaluated; want 2 and 2", len(cached.Envs), len(uncached.Envs))
	}
	for i := range cached.Envs {
		if !reflect.DeepEqual(cached.Envs[i].Out, uncached.Envs[i].Out) || !reflect.DeepEqual(cached.Envs[i].In, uncached.Envs[i].In) {
			t.Errorf("%s: the cached evaluation differs", cached.Envs[i].Name)
		}
	}
	evaluated(strings.Replace(twoEnvs, "namespace: apk-test", "namespace: apk-test2", 1), Options{}, 1)
	evaluated(strings.Replace(twoEnvs, "clusters:", "charts: {apk: {version: 1.3.0-1}}\nclusters:", 1), Options{}, 2)
	// An evaluation does not depend on the other environments: a new one
	// on dev's cluster is the only one evaluated.
	alpha := twoEnvs + `  alpha:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-alpha
    hostnames: {gateway: alpha.gw.example.com, system: alpha.apk.example.com}
`
	evaluated(alpha, Options{}, 1)
	evaluated(twoEnvs, Options{Policies: []string{policy(`#EnvCommon: namespace: =~"^apk-"`)}}, 2)
	// A policy the cached environments break is not hidden by the cache.
	_, err = parse("envs.yaml", twoEnvs, Options{Policies: []string{policy(`#EnvCommon: namespace: =~"^team-"`)}})
	var l diag.List
	if !errors.As(err, &l) || len(l) != 2 {
		t.Errorf("a new policy: got %v, want 2 errors", err)
	}
	// An invalid environment is never stored: it fails every time.
	bad := strings.Replace(twoEnvs, "gateway: test.gw.example.com", "gateway: Test_GW", 1)
	for range 2 {
		if _, err := parse("envs.yaml", bad, Options{}); err == nil {
			t.Fatal("an invalid environment passed")
		}
	}
	// JSON is data too.
	jsonText := `{"apiVersion": "apkgen/v1alpha1", "kind": "Environments", "clusters": {"nonprod": {}},
		"environments": {"dev": {"pattern": "dp-per-namespace", "cluster": "nonprod", "namespace": "apk-dev",
		"hostnames": {"gateway": "dev.gw.example.com", "system": "dev.apk.example.com"},
		"values": {"apk": {"a": true, "b": false, "c": [-1, 2.5]}}}}}`
	for i, want := range []int{1, 0} {
		if f, err := parse("envs.json", jsonText, Options{Policies: []string{policy("")}}); err != nil || f.Evaluated != want {
			t.Fatalf("JSON input, run %d: %v, evaluated %v", i+1, err, f)
		}
	}
	// A file written in CUE may hold constraints its JSON does not show:
	// it is always evaluated.
	cueText := "apiVersion: \"apkgen/v1alpha1\"\nkind: \"Environments\"\nclusters: nonprod: {}\n" +
		"environments: dev: {pattern: \"dp-per-namespace\", cluster: \"nonprod\", namespace: \"apk-dev\", hostnames: {gateway: \"dev.gw.example.com\", system: \"dev.apk.example.com\"}}\n"
	for range 2 {
		var opts Options
		calls := countEvaluate(&opts)
		f, err := parse("envs.cue", cueText, opts)
		if err != nil || f.Evaluated != 1 || calls.Load() != 1 {
			t.Fatalf("CUE input: %v, evaluated %v, OnEvaluate called %d times", err, f, calls.Load())
		}
	}
	// Without a cache, everything is evaluated.
	var opts Options
	calls := countEvaluate(&opts)
	if _, err := Parse("envs.yaml", []byte(twoEnvs), opts); err != nil || calls.Load() != 1 {
		t.Fatalf("no cache: %v, OnEvaluate called %d times, want 1", err, calls.Load())
	}
	// A damaged cache is a miss: its checksum catches it before decoding
	// (TestDecodeEnvRejectsDamage covers what decoding refuses).
	if err := os.WriteFile(filepath.Join(dir, "cache", "results.bin"), []byte("{damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache = buildcache.Open(filepath.Join(dir, "cache"))
	evaluated(twoEnvs, Options{}, 2)
}

// countEvaluate makes opts.OnEvaluate count its calls, which may come from
// any goroutine.
func countEvaluate(opts *Options) *atomic.Int32 {
	var calls atomic.Int32
	opts.OnEvaluate = func() { calls.Add(1) }
	return &calls
}

// readCache takes from prefetch what it read for the same environment and
// pattern, and keys and reads the rest itself, with the same result.
func TestReadCache(t *testing.T) {
	data, err := os.ReadFile("../../examples/dp-per-namespace.yaml") // dev and test
	if err != nil {
		t.Fatal(err)
	}
	cache := buildcache.Open(filepath.Join(t.TempDir(), "cache"))
	if _, err := Parse("envs.yaml", data, Options{Cache: cache}); err != nil {
		t.Fatal(err)
	}
	cache.Flush()
	syntax, err := parseSyntax("envs.yaml", data, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := source{name: "envs.yaml", data: data, opts: Options{Cache: cache}, syntax: syntax}
	src.keyer = newKeyer(src)
	// prefetch finds both environments' patterns in the syntax and reads
	// their evaluations.
	pre := prefetch(src)()
	for _, name := range []string{"dev", "test"} {
		c := pre[name]
		if key, _ := src.keyer.keys(name, "dp-per-namespace"); c.pattern != "dp-per-namespace" || c.ev == nil || c.key != key {
			t.Errorf("prefetch of %s: %+v", name, c)
		}
	}
	tasks := func() []envTask {
		return []envTask{{name: "dev", pattern: "dp-per-namespace", cluster: "nonprod"},
			{name: "test", pattern: "dp-per-namespace", cluster: "nonprod"}}
	}
	for name, prefetched := range map[string]func() map[string]cachedEval{
		"prefetched": prefetch(src),
		// dev prefetched under another pattern, test not at all.
		"read here": func() map[string]cachedEval { return map[string]cachedEval{"dev": {pattern: "cp-dp-k8s"}} },
	} {
		src.prefetched = prefetched
		ts, envs := tasks(), make([]*Env, 2)
		readCache(src, false, ts, envs)
		for i, tk := range ts {
			if key, _ := src.keyer.keys(tk.name, tk.pattern); tk.key != key || !tk.cacheable() {
				t.Errorf("%s: %s keyed %x, want %x", name, tk.name, tk.key, key)
			}
			if envs[i] == nil || envs[i].Name != tk.name || envs[i].In.Namespace != "apk-"+tk.name {
				t.Errorf("%s: %s from the cache: %+v", name, tk.name, envs[i])
			}
		}
		// A file with errors outside its environments is not keyed.
		ts, envs = tasks(), make([]*Env, 2)
		readCache(src, true, ts, envs)
		if ts[0].cacheable() || envs[0] != nil {
			t.Errorf("%s: with section errors, dev was keyed or read", name)
		}
	}
}

// validate after a build evaluates nothing: it reads the claims from the
// build's complete evaluations, the same claims it would compute.
func TestClaimsFromABuildsEntries(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cache := buildcache.Open(filepath.Join(t.TempDir(), "cache"))
		if _, err := Parse(file, data, Options{Cache: cache}); err != nil {
			t.Fatal(err)
		}
		cache.Flush()
		cached, err := Parse(file, data, Options{Cache: cache, ClaimsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := Parse(file, data, Options{ClaimsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if cached.Evaluated != 0 || len(cached.Envs) != len(fresh.Envs) {
			t.Fatalf("%s: evaluated %d of %d environments after a build, want none", file, cached.Evaluated, len(cached.Envs))
		}
		for i, e := range cached.Envs {
			if !reflect.DeepEqual(e, fresh.Envs[i]) {
				t.Errorf("%s: %s: from the build's entry\n%+v\nevaluated\n%+v", file, e.Name, *e, *fresh.Envs[i])
			}
		}
	}
}
