//go:build bench

package apkgen_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/apkgen/apkgen/internal/envgen"
)

var pgoOut = flag.String("pgo-out", "", "TestPGOProfile writes the merged CPU profile here (`make pgo`)")

// pgoWorkload is one kind of run the profile samples, and how many times.
type pgoWorkload struct {
	envs, runs int
	warm       bool
	args       []string // -f FILE (and -o DIR for build) are added
}

// pgoWorkloads are what users run most and what the targets measure: cold
// and warm builds and validations of generated files (docs/benchmarks.md,
// "Profile-guided optimisation"), run often enough that each has its
// share of the samples (a cold build of 1000 environments takes eight
// times the CPU of a cold validate).
var pgoWorkloads = []pgoWorkload{
	{envs: 1000, runs: 3, args: []string{"build"}},
	{envs: 100, runs: 8, args: []string{"build"}},
	{envs: 1000, runs: 8, args: []string{"validate"}},
	{envs: 1000, runs: 4, warm: true, args: []string{"build"}},
	{envs: 1000, runs: 4, warm: true, args: []string{"validate"}},
}

// TestPGOProfile writes cmd/apkgen/default.pgo, the CPU profile `go build`
// optimises apkgen with: it builds apkgen without a profile, runs the
// workloads with APKGEN_CPUPROFILE, and merges their profiles with
// `go tool pprof -proto`. Run it with `make pgo`; without -pgo-out it
// skips.
func TestPGOProfile(t *testing.T) {
	if *pgoOut == "" {
		t.Skip("no -pgo-out: run `make pgo`")
	}
	dir := t.TempDir()
	bin := buildApkgen(t, dir, "-pgo=off")
	var profiles []string
	// run runs apkgen, profiled into profile unless it is empty.
	run := func(cache, profile string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "APKGEN_CACHE_DIR="+cache)
		if profile != "" {
			cmd.Env = append(cmd.Env, "APKGEN_CPUPROFILE="+profile)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("apkgen %v: %v\n%s", args, err, out)
		}
	}
	for w, wl := range pgoWorkloads {
		file := filepath.Join(dir, fmt.Sprintf("envs-%d.yaml", wl.envs))
		if err := os.WriteFile(file, envgen.Generate(wl.envs), 0o644); err != nil {
			t.Fatal(err)
		}
		for i := range wl.runs {
			cache, out := filepath.Join(dir, fmt.Sprintf("cache-%d-%d", w, i)), filepath.Join(dir, fmt.Sprintf("out-%d-%d", w, i))
			if wl.warm {
				run(cache, "", "build", "-f", file, "-o", out)
			}
			args := append(append([]string{}, wl.args...), "-f", file)
			if wl.args[0] == "build" {
				args = append(args, "-o", out+"-run")
			}
			profile := filepath.Join(dir, fmt.Sprintf("cpu-%d-%d.pprof", w, i))
			run(cache, profile, args...)
			profiles = append(profiles, profile)
		}
	}
	merge := exec.Command("go", append([]string{"tool", "pprof", "-proto"}, profiles...)...)
	merged, err := merge.Output()
	if err != nil {
		t.Fatalf("go tool pprof -proto: %v", err)
	}
	if err := os.WriteFile(*pgoOut, merged, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes) from %d profiles", *pgoOut, len(merged), len(profiles))
}
