package cli_test

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/cli"
)

// BenchmarkCheckNoop is apkgen build --check on a folder that is up to date,
// for each example: "process" execs the built binary (the whole process, as
// a pre-commit hook runs it), "inprocess" calls cli.Main. make bench runs it;
// docs/benchmarks-check.md has the figures.
func BenchmarkCheckNoop(b *testing.B) {
	bin := buildApkgen(b)
	examples, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(examples) == 0 {
		b.Fatalf("no examples: %v", err)
	}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".yaml")
		root := b.TempDir()
		var errOut bytes.Buffer
		if code := cli.Main([]string{"build", "-f", ex, "-o", root}, io.Discard, &errOut); code != 0 {
			b.Fatalf("%s: build: exit %d: %s", name, code, errOut.String())
		}
		args := []string{"build", "--check", "-f", ex, "-o", root}
		b.Run(name+"/process", func(b *testing.B) {
			for b.Loop() {
				if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
					b.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
		})
		b.Run(name+"/inprocess", func(b *testing.B) {
			for b.Loop() {
				if code := cli.Main(args, io.Discard, &errOut); code != 0 {
					b.Fatalf("%v: exit %d: %s", args, code, errOut.String())
				}
			}
		})
	}
}
