package cli_test

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/apkgen/apkgen/pkg/manifest"
)

// updating reports whether -update was given (invalid_test.go defines it):
// it also rewrites the scripts' cmp files from the actual output.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestScripts runs testdata/script/*.txtar. Besides testscript's commands
// they have:
//
//	exits N PROG ARGS...  run PROG, which must exit with code N
//	headers DIR           every file under DIR starts with the generated header
//	cptree SRC DST        copy the folder SRC to DST
//	cmptree DIR1 DIR2     the two folders hold the same files, byte for byte
//	pgpkey FILE           write a new armored OpenPGP private key to FILE
//
// and $EXAMPLES and $GOLDEN, the repository's examples and golden trees.
func TestScripts(t *testing.T) {
	golden, err := filepath.Abs("../../golden")
	if err != nil {
		t.Fatal(err)
	}
	runScripts(t, "testdata/script", map[string]string{"GOLDEN": golden},
		map[string]func(*testscript.TestScript, bool, []string){
			"headers": cmdHeaders,
			"cptree":  cmdCptree,
			"cmptree": cmdCmptree,
			"pgpkey":  cmdPGPKey,
		})
}

// cmdPGPKey writes a new armored OpenPGP private key (no passphrase) to
// FILE, for --sign-key.
func cmdPGPKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgpkey FILE")
	}
	e, err := openpgp.NewEntity("apkgen test", "", "test@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	ts.Check(err)
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	ts.Check(err)
	ts.Check(e.SerializePrivate(w, nil))
	ts.Check(w.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o600))
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("exits: %v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

func cmdHeaders(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: headers DIR")
	}
	files := readTree(ts, ts.MkAbs(args[0]))
	if len(files) == 0 {
		ts.Fatalf("%s: no files", args[0])
	}
	for p, b := range files {
		if !manifest.IsGenerated(b) {
			first, _, _ := strings.Cut(string(b), "\n")
			ts.Fatalf("%s/%s: first line %q is not apkgen's header", args[0], p, first)
		}
	}
}

func cmdCptree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cptree SRC DST")
	}
	dst := ts.MkAbs(args[1])
	for p, b := range readTree(ts, ts.MkAbs(args[0])) {
		full := filepath.Join(dst, filepath.FromSlash(p))
		ts.Check(os.MkdirAll(filepath.Dir(full), 0o755))
		ts.Check(os.WriteFile(full, b, 0o644))
	}
}

func cmdCmptree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmptree DIR1 DIR2")
	}
	a, b := readTree(ts, ts.MkAbs(args[0])), readTree(ts, ts.MkAbs(args[1]))
	var diffs []string
	for p, x := range a {
		if y, ok := b[p]; !ok {
			diffs = append(diffs, p+": only in "+args[0])
		} else if !bytes.Equal(x, y) {
			diffs = append(diffs, p+": differs")
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, p+": only in "+args[1])
		}
	}
	slices.Sort(diffs)
	switch {
	case neg && len(diffs) == 0:
		ts.Fatalf("%s and %s are the same", args[0], args[1])
	case !neg && len(diffs) > 0:
		ts.Fatalf("%s and %s differ:\n%s", args[0], args[1], strings.Join(diffs, "\n"))
	}
}

// readTree reads every file under root, by slash-separated relative path.
func readTree(ts *testscript.TestScript, root string) map[string][]byte {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	ts.Check(err)
	return files
}
