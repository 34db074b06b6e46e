// Command apkgen compiles an environments file into a GitOps tree (Flux or
// Argo CD) that deploys WSO2 APK as the gateway of WSO2 API Manager.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/apkgen/apkgen/pkg/cli"
)

// gcPercent and memoryLimit tune the garbage collector for a short-lived
// process whose CUE and kustomize work allocates a lot: collect rarely
// while the heap is small, and as often as needed to stay under the limit.
// Measured on 1000 environments (docs/benchmarks.md): 4.2-4.5 s and 448 MiB
// peak against 5.1 s and 316-352 MiB with GOGC=200. GOGC and GOMEMLIMIT,
// when set, still decide.
const (
	gcPercent   = 800
	memoryLimit = 400 << 20
)

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(gcPercentFor(os.Args[1:]))
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:]))
}

// gcPercentFor is gcPercent, except for validate, which collects only to
// stay under the memory limit: it allocates about 260 MB for 1000
// environments, and the one collection gcPercent makes it pay (when the
// heap first reaches 32 MB) cost 4 ms of 34 for one environment and 15 ms
// of 70 for 100 (interleaved runs, docs/benchmarks.md session 16). A build
// allocates more, and faster with collections.
func gcPercentFor(args []string) int {
	if len(args) > 0 && args[0] == "validate" {
		return -1
	}
	return gcPercent
}

// run is main without the exit, so that a CPU profile is complete first.
// APKGEN_CPUPROFILE=FILE profiles the whole command (docs/benchmarks.md).
func run(args []string) int {
	if path := os.Getenv("APKGEN_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apkgen: APKGEN_CPUPROFILE:", err)
			return 3
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "apkgen: APKGEN_CPUPROFILE:", err)
			return 3
		}
		defer pprof.StopCPUProfile()
	}
	return cli.MainStdin(args, os.Stdin, os.Stdout, os.Stderr)
}
