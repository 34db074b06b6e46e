package apkgen_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/verify"
)

// benchSizes are the numbers of environments the benchmarks run on.
var benchSizes = []int{1, 10, 100, 1000}

// envsFile writes the generated file of n environments into a temporary
// directory and returns its path.
func envsFile(b *testing.B, n int) string {
	b.Helper()
	file := filepath.Join(b.TempDir(), fmt.Sprintf("envs-%d.yaml", n))
	if err := os.WriteFile(file, envgen.Generate(n), 0o644); err != nil {
		b.Fatal(err)
	}
	return file
}

// benchEach runs, for each size, the operation prepare returns on the
// generated file of that size, as sub-benchmarks envs=N, with allocations
// and the time per environment (to read the growth off). prepare runs
// outside the timer, once per sub-benchmark, before the loop.
func benchEach(b *testing.B, sizes []int, prepare func(b *testing.B, file string) func() error) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("envs=%d", n), func(b *testing.B) {
			op := prepare(b, envsFile(b, n))
			b.ReportAllocs()
			for b.Loop() {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/env")
		})
	}
}

// BenchmarkCompile runs load, plan, generate and verify: everything but
// writing.
func BenchmarkCompile(b *testing.B) {
	benchEach(b, benchSizes, func(_ *testing.B, file string) func() error {
		return func() error {
			_, err := apkgen.Compile(file)
			return err
		}
	})
}

// BenchmarkBuild is Compile plus writing the tree into a fresh folder
// (removed again outside the timer).
func BenchmarkBuild(b *testing.B) {
	benchEach(b, benchSizes, func(b *testing.B, file string) func() error {
		return func() error {
			root := filepath.Join(b.TempDir(), "repo")
			if _, err := apkgen.Build(apkgen.BuildOptions{File: file, Root: root}); err != nil {
				return err
			}
			b.StopTimer()
			defer b.StartTimer()
			return os.RemoveAll(root)
		}
	})
}

// BenchmarkVerify is verify alone, without a cache: kustomize builds
// every folder of the tree (generated once, outside the timer). It is the
// part of a build from an empty cache that apkgen's own code cannot make
// cheaper: the cost of the kustomize API itself.
func BenchmarkVerify(b *testing.B) {
	benchEach(b, []int{100, 1000}, func(b *testing.B, file string) func() error {
		c, err := apkgen.CompileUnverified(file)
		if err != nil {
			b.Fatal(err)
		}
		return func() error {
			_, err := verify.Check(c.Tree, nil)
			return err
		}
	})
}

// BenchmarkValidate is load alone as `apkgen validate` runs it: the file
// schema, every environment's pattern (its claims only, #Context.build
// false) and the cross-environment rules.
func BenchmarkValidate(b *testing.B) {
	benchEach(b, []int{1000}, func(_ *testing.B, file string) func() error {
		return func() error {
			_, err := load.ReadFile(file, load.Options{ClaimsOnly: true})
			return err
		}
	})
}

// warmCache returns a cache holding everything a build of file needs.
func warmCache(b *testing.B, file string) *buildcache.Cache {
	b.Helper()
	cache := buildcache.Open(b.TempDir())
	if _, err := apkgen.CompileWith(file, load.Options{Cache: cache}); err != nil {
		b.Fatal(err)
	}
	cache.Flush()
	return cache
}

// BenchmarkValidateWarm is BenchmarkValidate with every environment's
// evaluation in the cache: the pre-commit hook's case, run after run on a
// file that changed a little.
func BenchmarkValidateWarm(b *testing.B) {
	benchEach(b, []int{1000}, func(b *testing.B, file string) func() error {
		cache := buildcache.Open(b.TempDir())
		opts := load.Options{Cache: cache, ClaimsOnly: true}
		if _, err := load.ReadFile(file, opts); err != nil {
			b.Fatal(err)
		}
		cache.Flush()
		return func() error {
			_, err := load.ReadFile(file, opts)
			return err
		}
	})
}

// BenchmarkCompileWarm is BenchmarkCompile with everything in the cache
// (warmed once per size: a warm compile leaves it as it was).
func BenchmarkCompileWarm(b *testing.B) {
	benchEach(b, benchSizes, func(b *testing.B, file string) func() error {
		cache := warmCache(b, file)
		return func() error {
			_, err := apkgen.CompileWith(file, load.Options{Cache: cache})
			return err
		}
	})
}
