package write

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apkgen/apkgen/internal/syncbuf"
)

// lockAsync takes the lock of dir on another goroutine; the channel is
// closed once it holds it, and the lock's release is sent on it.
func lockAsync(dir string, exclusive bool, log *syncbuf.Buffer) <-chan func() {
	held := make(chan func(), 1)
	go func() { held <- Lock(dir, exclusive, log) }()
	return held
}

// waitSaid waits until log says, and says only, that the run waits for
// another, and fails the test if it never does.
func waitSaid(t *testing.T, log *syncbuf.Buffer, dir string) {
	t.Helper()
	want := "apkgen: waiting for another apkgen run on " + dir + " to finish\n"
	if !log.WaitFor(want, 20*time.Second) || log.String() != want {
		t.Fatalf("log = %q, want %q", log.String(), want)
	}
}

// A build's lock keeps out every other run on the folder, named by any
// path; checks share theirs, and keep builds out.
func TestLock(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the lock files
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "repo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("repo", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "repo", "deploy") // missing: a first build
	aliases := []string{filepath.Join(root, "link", "deploy"), filepath.Join(root, "repo", ".", "deploy")}

	t.Run("build keeps out builds and checks", func(t *testing.T) {
		unlock := Lock(dir, true, nil)
		defer func() { unlock() }() // a failed test must not hold the lock for the next
		for _, exclusive := range []bool{true, false} {
			for _, other := range aliases {
				var log syncbuf.Buffer
				held := lockAsync(other, exclusive, &log)
				waitSaid(t, &log, other)
				select {
				case release := <-held:
					release()
					t.Fatalf("%s (exclusive %v) locked while a build held the lock", other, exclusive)
				default:
				}
				unlock()
				(<-held)()
				unlock = Lock(dir, true, nil)
			}
		}
	})

	t.Run("checks share", func(t *testing.T) {
		var log syncbuf.Buffer
		first := Lock(dir, false, &log)
		defer first()
		var second func()
		select {
		case second = <-lockAsync(aliases[0], false, &log):
		case <-time.After(20 * time.Second):
			t.Fatal("a check waited for another check")
		}
		held := lockAsync(dir, true, &log)
		waitSaid(t, &log, dir)
		first()
		select {
		case release := <-held:
			release()
			t.Fatal("a build locked while a check held the lock")
		case <-time.After(50 * time.Millisecond):
		}
		second()
		(<-held)()
	})

	t.Run("folders apart do not wait", func(t *testing.T) {
		var log syncbuf.Buffer
		unlock := Lock(dir, true, &log)
		Lock(filepath.Join(root, "repo", "other"), true, &log)()
		unlock()
		if log.String() != "" {
			t.Errorf("log = %q", log.String())
		}
	})
}

// With no temporary folder to lock in, or no lock file to open there, a
// run goes on unlocked and says so.
func TestLockUnavailable(t *testing.T) {
	t.Run("no folder", func(t *testing.T) {
		tmp := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(tmp, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("TMPDIR", tmp) // a file: no folder can be made in it
		wantUnlocked(t, "deploy", "not a directory")
	})
	t.Run("no file", func(t *testing.T) {
		t.Setenv("TMPDIR", t.TempDir())
		file, err := lockFile("deploy")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(file, 0o755); err != nil { // a folder in the way
			t.Fatal(err)
		}
		wantUnlocked(t, "deploy", "is a directory")
	})
}

// wantUnlocked checks that locking dir says it cannot, for reason, and
// that the run goes on.
func wantUnlocked(t *testing.T, dir, reason string) {
	t.Helper()
	var log syncbuf.Buffer
	Lock(dir, true, &log)()
	got := log.String()
	if !strings.HasPrefix(got, "apkgen: warning: cannot lock "+dir+" against other apkgen runs: ") || !strings.Contains(got, reason) {
		t.Errorf("log = %q", got)
	}
}
