package load

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"testing"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/model"
)

// withProcs runs fn with GOMAXPROCS set to n, which bounds the workers.
func withProcs(t *testing.T, n int, fn func()) {
	t.Helper()
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	fn()
}

// TestDiagnosticsWhateverTheWorkers breaks environments evaluated by
// different workers and checks that the diagnostics, positions included,
// are the same with one worker and with several.
func TestDiagnosticsWhateverTheWorkers(t *testing.T) {
	data := envgen.Generate(60)
	for _, r := range [][2]string{
		{"gateway: env-00003.gw.example.com", "gateway: Bad_Host"},
		{"gateway: env-00057.gw.example.com", "gateway: Bad_Host"},
		{"credentialsSecret: apim-admin", "credentialsSecret: Not-A-Secret"},
		{"pattern: dp-per-namespace\n    cluster: shared-0001", "pattern: no-such-pattern\n    cluster: shared-0001"},
	} {
		if !bytes.Contains(data, []byte(r[0])) {
			t.Fatalf("%q not in the generated file", r[0])
		}
		data = bytes.Replace(data, []byte(r[0]), []byte(r[1]), 1)
	}
	parse := func() diag.List {
		_, err := Parse("envs.yaml", data, Options{})
		var l diag.List
		if !errors.As(err, &l) {
			t.Fatalf("got %v, want diagnostics", err)
		}
		return l
	}
	var serial, parallel diag.List
	withProcs(t, 1, func() { serial = parse() })
	withProcs(t, 4, func() { parallel = parse() })
	if len(serial) < 4 {
		t.Errorf("%d diagnostics, want at least 4:\n%v", len(serial), serial)
	}
	for _, d := range serial {
		if d.Pos.Line == 0 {
			t.Errorf("diagnostic without a line: %v", d)
		}
	}
	if a, b := serial.Error(), parallel.Error(); a != b {
		t.Errorf("diagnostics differ\none worker:\n%s\nseveral:\n%s", a, b)
	}
	t.Logf("%s", serial.Error())
}

// TestCacheReadsWhateverTheWorkers: validate after a build reads every
// environment's claims from the build's evaluations, on several workers
// at once (prefetch), and gets the claims the build computed.
func TestCacheReadsWhateverTheWorkers(t *testing.T) {
	data := envgen.Generate(40) // enough for several workers
	cache := buildcache.Open(t.TempDir())
	built, err := Parse("envs.yaml", data, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	cache.Flush()
	withProcs(t, 4, func() {
		got, err := Parse("envs.yaml", data, Options{Cache: cache, ClaimsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.Evaluated != 0 {
			t.Errorf("evaluated %d environments, want none (all in the build's cache)", got.Evaluated)
		}
		if len(got.Envs) != len(built.Envs) {
			t.Fatalf("%d environments from the cache, want %d", len(got.Envs), len(built.Envs))
		}
		for i, e := range got.Envs {
			b := built.Envs[i]
			claims := model.Output{ExclusiveCluster: b.Out.ExclusiveCluster, NotForProduction: b.Out.NotForProduction,
				Releases: map[string]*model.Release{}}
			for key, r := range b.Out.Releases {
				claims.Releases[key] = &model.Release{Chart: r.Chart, ReleaseName: r.ReleaseName, ClusterScoped: r.ClusterScoped}
			}
			if !reflect.DeepEqual(e.Out, claims) || !reflect.DeepEqual(e.In, b.In) {
				t.Errorf("%s: the claims read differ from the build's:\n%+v\n%+v", e.Name, e.Out, claims)
			}
		}
	})
}
