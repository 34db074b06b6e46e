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

// scenario is a way of running apkgen, as users do.
type scenario struct {
	name string
	// warm: the cache holds a build of the file before the runs;
	// otherwise each run starts from an empty cache.
	warm bool
	// edit: each run reads the file with one environment changed, as a
	// pre-commit run after a small edit; output goes to the folder a
	// build of the unchanged file wrote.
	edit bool
	args []string // -f FILE (and -o DIR for build) are added
}

var scenarios = []scenario{
	{name: "build, empty cache", args: []string{"build"}},
	{name: "build, warm cache", warm: true, args: []string{"build"}},
	{name: "build, one environment changed", warm: true, edit: true, args: []string{"build"}},
	{name: "validate, empty cache", args: []string{"validate"}},
	{name: "validate, warm cache", warm: true, args: []string{"validate"}},
}

// TestProcessBudget measures the whole apkgen process, as a user runs it,
// on generated files of 1 to 1000 environments: median wall time and peak
// RSS, per scenario. It logs the figures and asserts nothing about them
// (timed assertions are flaky; docs/benchmarks.md has the targets and the
// figures). It fails only when a build or a run fails. Run it with
// `make bench`.
func TestProcessBudget(t *testing.T) {
	dir := t.TempDir()
	bin := buildApkgen(t, dir)
	run := func(cache string, args ...string) (*exec.Cmd, time.Duration) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "APKGEN_CACHE_DIR="+cache)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			t.Fatalf("apkgen %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return cmd, wall
	}

	type row struct {
		scenario                 string
		envs, files              int
		median, fastest, slowest time.Duration
		cpu                      time.Duration // user+sys of the median run
		maxRSS                   int64         // KiB, highest over the runs
	}
	var rows []row
	for _, sc := range scenarios {
		for _, n := range []int{1, 10, 100, 1000} {
			file := filepath.Join(dir, fmt.Sprintf("envs-%d.yaml", n))
			data := envgen.Generate(n)
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			// A new edit for every run: an edit seen before is in the cache.
			edit := func(run int) string {
				edited := filepath.Join(dir, fmt.Sprintf("envs-%d-edit-%d.yaml", n, run))
				changed := bytes.Replace(data, []byte("gateway: env-00000.gw."), fmt.Appendf(nil, "gateway: env-00000.edit-%d.gw.", run), 1)
				if bytes.Equal(changed, data) {
					t.Fatal("envgen changed: the edit found nothing to change")
				}
				if err := os.WriteFile(edited, changed, 0o644); err != nil {
					t.Fatal(err)
				}
				return edited
			}
			type measured struct{ wall, cpu time.Duration }
			var runs []measured
			r := row{scenario: sc.name, envs: n}
			cache := filepath.Join(dir, fmt.Sprintf("cache-%d", n))
			for i := range processRuns {
				out := filepath.Join(dir, fmt.Sprintf("out-%d-%d", n, i))
				if !sc.warm {
					cache = filepath.Join(dir, fmt.Sprintf("cache-%d-%d", n, i))
				}
				input := file
				if sc.warm {
					run(cache, "build", "-f", file, "-o", out) // fills the cache (and the folder)
					if !sc.edit {
						if err := os.RemoveAll(out); err != nil {
							t.Fatal(err)
						}
					}
				}
				if sc.edit {
					input = edit(i)
				}
				args := append(slices.Clone(sc.args), "-f", input)
				if sc.args[0] == "build" {
					args = append(args, "-o", out)
				}
				cmd, wall := run(cache, args...)
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				r.maxRSS = max(r.maxRSS, int64(ru.Maxrss)) // KiB on Linux
				runs = append(runs, measured{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()})
				if i == 0 && sc.args[0] == "build" {
					r.files = countFiles(t, filepath.Join(out, "deploy"))
				}
				for _, d := range []string{out, filepath.Join(dir, fmt.Sprintf("cache-%d-%d", n, i))} {
					if err := os.RemoveAll(d); err != nil {
						t.Fatal(err)
					}
				}
			}
			slices.SortFunc(runs, func(a, b measured) int { return int(a.wall - b.wall) })
			r.median, r.fastest, r.slowest = runs[len(runs)/2].wall, runs[0].wall, runs[len(runs)-1].wall
			r.cpu = runs[len(runs)/2].cpu
			rows = append(rows, r)
		}
	}

	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario\tenvs\tfiles\tmedian wall\tfastest\tslowest\tCPU (median run)\tpeak RSS\t\n")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%.1f MiB\t\n", r.scenario, r.envs, r.files,
			ms(r.median), ms(r.fastest), ms(r.slowest), ms(r.cpu), float64(r.maxRSS)/1024)
	}
	w.Flush()
	t.Logf("apkgen, whole process, %d runs per size, %d CPUs, output and cache under %s "+
		"(set TMPDIR to measure another filesystem):\n%s", processRuns, runtime.NumCPU(), os.TempDir(), b.String())
}

// buildApkgen builds apkgen into dir, as `go build` does with flags, and
// returns its path.
func buildApkgen(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	bin := filepath.Join(dir, "apkgen")
	args := append(append([]string{"build"}, flags...), "-o", bin, "github.com/apkgen/apkgen/cmd/apkgen")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
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
