//go:build linux

package cli_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/apkgen/apkgen/pkg/cli"
)

// openPTY opens a pseudo-terminal: what apkgen writes to tty, a terminal
// to it, can be read from the returned buffer once done is called.
func openPTY(t *testing.T) (tty *os.File, done func() string) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		ptmx.Close()
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ptmx.Close()
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	var buf bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&buf, ptmx) // ends with EIO once the terminal side is closed
		close(copied)
	}()
	return tty, func() string {
		tty.Close()
		<-copied
		ptmx.Close()
		return buf.String()
	}
}

// changedTree builds examples/dp-per-namespace.yaml into a folder, then
// changes a hostname so that diff has something to say.
func changedTree(t *testing.T) (file, root string) {
	t.Helper()
	root = t.TempDir()
	src, err := os.ReadFile("../../examples/dp-per-namespace.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(root, "environments.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := cli.Main([]string{"build", "-f", file, "-o", root}, &out, &errOut); code != 0 {
		t.Fatalf("build: exit %d: %s", code, errOut.String())
	}
	changed := strings.Replace(string(src), "gateway: dev.gw.example.com", "gateway: dev2.gw.example.com", 1)
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, root
}

// TestColorOnTerminalOnly: with --color=auto (the default) diff and
// build --check colour their output on a terminal, not on a file, and not on a terminal when NO_COLOR is set or TERM=dumb.
func TestColorOnTerminalOnly(t *testing.T) {
	file, root := changedTree(t)
	run := func(stdout *os.File, args ...string) {
		t.Helper()
		var errOut bytes.Buffer
		if code := cli.Main(append(args, "-f", file, "-o", root), stdout, &errOut); code != 1 {
			t.Fatalf("%v: exit %d, want 1: %s", args, code, errOut.String())
		}
	}
	t.Setenv("TERM", "xterm")
	t.Setenv("NO_COLOR", "")
	for _, args := range [][]string{{"diff"}, {"diff", "--unified"}, {"build", "--check"}} {
		tty, done := openPTY(t)
		run(tty, args...)
		if got := done(); !strings.Contains(got, "\x1b[") {
			t.Errorf("%v on a terminal: no colour in %q", args, got)
		}

		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		run(f, args...)
		f.Close()
		if b, _ := os.ReadFile(f.Name()); bytes.Contains(b, []byte("\x1b[")) || len(b) == 0 {
			t.Errorf("%v to a file: want uncoloured output, got %q", args, b)
		}
	}

	for _, env := range [][2]string{{"NO_COLOR", "1"}, {"TERM", "dumb"}} {
		t.Run(env[0]+"="+env[1], func(t *testing.T) {
			t.Setenv(env[0], env[1])
			tty, done := openPTY(t)
			run(tty, "diff")
			if got := done(); strings.Contains(got, "\x1b[") || !strings.Contains(got, "dev2.gw.example.com") {
				t.Errorf("want uncoloured output, got %q", got)
			}
			tty, done = openPTY(t)
			run(tty, "diff", "--color=always")
			if got := done(); !strings.Contains(got, "\x1b[") {
				t.Errorf("--color=always: no colour in %q", got)
			}
		})
	}
}
