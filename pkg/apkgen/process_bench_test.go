//go:build bench

package apkgen_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/apkgen/apkgen/internal/envgen"
)

// processRuns is how many times each size is run; the median is reported.
const processRuns = 5

// TestProcessBudget measures the whole `apkgen build` process, as a user
// runs it, on generated files of 1 to 1000 environments: median wall time
// and peak RSS. It logs the figures and asserts nothing about them (timed
// assertions are flaky; docs/benchmarks.md has the targets and the figures).
// It fails only when the build or a run fails. Run it with `make bench`.
func TestProcessBudget(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "apkgen")
	build := exec.Command("go", "build", "-o", bin, "github.com/apkgen/apkgen/cmd/apkgen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	type row struct {
		envs, files              int
		median, fastest, slowest time.Duration
		cpu                      time.Duration // user+sys of the median run
		maxRSS                   int64         // KiB, highest over the runs
	}
	var rows []row
	for _, n := range []int{1, 10, 100, 1000} {
		file := filepath.Join(dir, fmt.Sprintf("envs-%d.yaml", n))
		if err := os.WriteFile(file, envgen.Generate(n), 0o644); err != nil {
			t.Fatal(err)
		}
		type run struct {
			wall, cpu time.Duration
		}
		var runs []run
		r := row{envs: n}
		for i := range processRuns {
			out := filepath.Join(dir, fmt.Sprintf("out-%d-%d", n, i))
			cmd := exec.Command(bin, "build", "-f", file, "-o", out)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			if err != nil {
				t.Fatalf("apkgen build, %d environments: %v\n%s", n, err, stderr.String())
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			r.maxRSS = max(r.maxRSS, int64(ru.Maxrss)) // KiB on Linux
			runs = append(runs, run{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()})
			if i == 0 {
				r.files = countFiles(t, filepath.Join(out, "deploy"))
			}
			if err := os.RemoveAll(out); err != nil {
				t.Fatal(err)
			}
		}
		slices.SortFunc(runs, func(a, b run) int { return int(a.wall - b.wall) })
		r.median, r.fastest, r.slowest = runs[len(runs)/2].wall, runs[0].wall, runs[len(runs)-1].wall
		r.cpu = runs[len(runs)/2].cpu
		rows = append(rows, r)
	}

	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "envs\tfiles\tmedian wall\tfastest\tslowest\tCPU (median run)\tper env\tpeak RSS\t\n")
	for _, r := range rows {
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f MiB\t\n", r.envs, r.files,
			ms(r.median), ms(r.fastest), ms(r.slowest), ms(r.cpu),
			ms(r.median/time.Duration(r.envs)), float64(r.maxRSS)/1024)
	}
	w.Flush()
	t.Logf("apkgen build, whole process, %d runs per size, %d CPUs, output under %s "+
		"(set TMPDIR to measure another filesystem):\n%s", processRuns, runtime.NumCPU(), os.TempDir(), b.String())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
