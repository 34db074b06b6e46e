package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/write"
)

var updateCorpus = flag.Bool("update", false, "rewrite the stderr section of testdata/invalid/*.txtar from the current output")

// TestInvalidCorpus runs `apkgen build` on each invalid environments file of
// testdata/invalid, one mistake class per archive. Each must exit 2, print
// exactly the archive's stderr (FILE:LINE:COL: path: message lines), and
// leave an existing output tree untouched byte for byte.
//
// An archive holds environments.{yaml,json,cue} (or a file named by its
// `args` section), optional extra files (policies), an optional `args`
// file (extra flags, one per line) and `stderr`.
func TestInvalidCorpus(t *testing.T) {
	archives, _ := filepath.Glob("testdata/invalid/*.txtar")
	if len(archives) < 60 {
		t.Fatalf("the corpus has %d cases; it must cover at least 60 mistake classes", len(archives))
	}
	// An existing tree, built once from a valid file, that every case must
	// leave as it is.
	c, err := apkgen.Compile("../../examples/dp-per-namespace.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range archives {
		file, _ := filepath.Abs(file)
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			t.Chdir(dir)
			var input, want string
			var args []string
			for _, f := range ar.Files {
				switch f.Name {
				case "stderr":
					want = string(f.Data)
				case "args":
					args = strings.Fields(string(f.Data))
				default:
					if strings.HasPrefix(f.Name, "environments.") {
						input = f.Name
					}
					if err := os.WriteFile(f.Name, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if input == "" {
				t.Fatal("no environments.* file in the archive")
			}
			if _, err := write.Tree("repo/deploy", c.Tree); err != nil {
				t.Fatal(err)
			}
			before, err := write.ReadOwned("repo/deploy")
			if err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := Main(append([]string{"build", "-f", input, "-o", "repo"}, args...), &out, &errb)
			if code != ExitInvalid {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitInvalid, errb.String())
			}
			after, err := write.ReadOwned("repo/deploy")
			if err != nil {
				t.Fatal(err)
			}
			if c := write.Diff(before, tree.Tree(after)); !c.Empty() {
				t.Errorf("the output tree changed: %+v", c)
			}
			if *updateCorpus {
				var files []txtar.File
				for _, f := range ar.Files {
					if f.Name != "stderr" {
						files = append(files, f)
					}
				}
				ar.Files = append(files, txtar.File{Name: "stderr", Data: errb.Bytes()})
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := errb.String(); got != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
			}
			// validate evaluates only the patterns' claims
			// (#Context.build false): it must find the same mistakes.
			out.Reset()
			errb.Reset()
			code = Main(append([]string{"validate", "-f", input}, args...), &out, &errb)
			if code != ExitInvalid || errb.String() != want {
				t.Errorf("validate: exit %d, stderr:\n%s\nwant exit %d and build's:\n%s", code, errb.String(), ExitInvalid, want)
			}
		})
	}
}
