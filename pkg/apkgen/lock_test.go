package apkgen_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apkgen/apkgen/internal/syncbuf"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/tree"
)

// While a build of a folder runs, from before it reads the folder until
// it has replaced it, another build, a check and a diff of that folder
// wait for it: a second build would take its staging folders for
// leftovers, a check would see the folder missing while it is swapped.
// The first build is held where it is about to write (BeforeWrite).
func TestBuildWaitsForAnotherRun(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the lock files
	root := t.TempDir()
	dir := filepath.Join(root, "deploy")
	file := "../../examples/mixed.yaml"
	if _, err := apkgen.Build(apkgen.BuildOptions{File: file, Root: root}); err != nil {
		t.Fatal(err) // the folder exists: the check and the diff read it
	}

	paused, release := make(chan struct{}), make(chan struct{})
	released := sync.OnceFunc(func() { close(release) })
	defer released() // a failed test lets the first build go
	first := make(chan error, 1)
	go func() {
		_, err := apkgen.Build(apkgen.BuildOptions{File: file, Root: root, BeforeWrite: func(string, tree.Tree) error {
			close(paused)
			<-release
			return nil
		}})
		first <- err
	}()
	select {
	case <-paused:
	case err := <-first:
		t.Fatalf("the first build ended before writing: %v", err)
	}

	runs := map[string]func(log *syncbuf.Buffer) error{
		"build": func(log *syncbuf.Buffer) error {
			_, err := apkgen.Build(apkgen.BuildOptions{File: file, Root: root, Log: log})
			return err
		},
		"check": func(log *syncbuf.Buffer) error {
			_, err := apkgen.Check(apkgen.BuildOptions{File: file, Root: root, Log: log})
			return err
		},
		"diff": func(log *syncbuf.Buffer) error {
			_, err := apkgen.Diff(apkgen.DiffOptions{File: file, Root: root, Log: log})
			return err
		},
	}
	logs, done := map[string]*syncbuf.Buffer{}, map[string]chan error{}
	for name, run := range runs {
		log, end := &syncbuf.Buffer{}, make(chan error, 1)
		logs[name], done[name] = log, end
		go func() { end <- run(log) }()
	}
	want := "apkgen: waiting for another apkgen run on " + dir + " to finish\n"
	for name := range runs {
		select {
		case err := <-done[name]:
			t.Fatalf("%s ran beside a build: %v; log %q", name, err, logs[name])
		case <-waitFor(logs[name], want):
		}
	}
	released()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for name := range runs {
		if err := <-done[name]; err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got := logs[name].String(); got != want {
			t.Errorf("%s: log %q, want only %q", name, got, want)
		}
	}
}

// waitFor is closed once log holds want (or after a minute, when the
// test's other case is to decide).
func waitFor(log *syncbuf.Buffer, want string) <-chan struct{} {
	c := make(chan struct{})
	go func() { log.WaitFor(want, time.Minute); close(c) }()
	return c
}
