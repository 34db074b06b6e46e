package gitops_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apkgen/apkgen/pkg/gitops"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/write"
)

// Publish in process, against a remote whose branch another bot moves
// while apkgen builds: the lost push is rebuilt on the new head and pushed
// (never forced), and a branch that moves on every attempt is given up on
// after Attempts, leaving the other bot's commit in place.
func TestPublishRebuildsAfterALostRace(t *testing.T) {
	s := newSandbox(t)
	bare := s.bareRepo(t.TempDir(), "gitops", true)
	const branch = "apkgen/update"

	// The other bot commits a file of its own to the branch.
	other := s.clone(bare)
	moves := 0
	otherBot := func() string {
		moves++
		s.git(other, "fetch", "--quiet", "origin")
		if _, err := s.gitErr(other, "rev-parse", "--verify", "--quiet", "origin/"+branch); err == nil {
			s.git(other, "reset", "--quiet", "--hard", "origin/"+branch)
		}
		name := fmt.Sprintf("other-%d.txt", moves)
		if err := os.WriteFile(filepath.Join(other, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		s.git(other, "add", name)
		s.git(other, "commit", "--quiet", "-m", name)
		s.git(other, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
		return s.git(other, "rev-parse", "HEAD")
	}

	input := filepath.Join(t.TempDir(), "environments.yaml")
	if err := os.WriteFile(input, []byte("# the input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := 0 // each run of Publish writes a new tree
	publish := func(loseEvery bool) (*gitops.Result, int, string, error) {
		runs++
		builds := 0
		var log bytes.Buffer
		res, err := gitops.Publish(context.Background(), gitops.RemoteOptions{
			URL: "file://" + bare, Branch: branch, Push: true, Attempts: 3, Backoff: time.Millisecond,
			Build: func(root string) (gitops.Built, error) {
				builds++
				if builds == 1 || loseEvery {
					otherBot() // moves the branch between apkgen's fetch and its push
				}
				dir := filepath.Join(root, "deploy")
				files := tree.Tree{tree.Marker: []byte(tree.MarkerText), "tree.yaml": fmt.Appendf(nil, "run: %d\n", runs)}
				_, err := write.Tree(dir, files)
				return gitops.Built{Dir: dir, Files: files, Input: []byte("# the input\n")}, err
			},
		}, gitops.Options{Author: "apkgen-bot <bot@example.com>", InputFile: input, Log: &log})
		return res, builds, log.String(), err
	}

	res, builds, log, err := publish(false)
	if err != nil {
		t.Fatalf("Publish: %v\n%s", err, log)
	}
	if builds != 2 || !res.Pushed {
		t.Fatalf("built %d times, pushed %v; want 2 builds and a push", builds, res.Pushed)
	}
	if !strings.Contains(log, "rebuilding on its new head") {
		t.Errorf("the retry was not logged:\n%s", log)
	}
	if got := s.git(bare, "rev-parse", branch); got != res.Commit {
		t.Errorf("the remote branch is %s, the result says %s", got, res.Commit)
	}
	// Rebuilt on top of the other bot's commit: both changes are there.
	s.git(bare, "cat-file", "-e", res.Commit+":other-1.txt")
	s.git(bare, "cat-file", "-e", res.Commit+":deploy/tree.yaml")
	s.git(bare, "fsck", "--strict", "--no-dangling")

	// A branch that moves on every attempt.
	_, builds, log, err = publish(true)
	if err == nil || !strings.Contains(err.Error(), "during each of 3 attempts") {
		t.Fatalf("Publish: got %v, want giving up after 3 attempts\n%s", err, log)
	}
	if builds != 3 {
		t.Errorf("built %d times, want 3", builds)
	}
	if got, want := s.git(bare, "rev-parse", branch), s.git(other, "rev-parse", "HEAD"); got != want {
		t.Errorf("the remote branch is %s, want the other bot's %s: something was forced", got, want)
	}
}
