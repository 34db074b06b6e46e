package gitops_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/gitops"
	"github.com/apkgen/apkgen/pkg/tree"
)

// TestCommitInLinkedWorktree: apkgen commits in a working tree made by git
// worktree add as git commit would there. HEAD, the index and HEAD's
// reflog are the linked tree's own (in its git folder, under
// .git/worktrees), the branch, its reflog and the objects the repository's
// (the common folder). So the locks refused are the linked tree's
// index.lock and HEAD.lock and the branch's lock in the common folder;
// the main tree's index.lock and HEAD.lock are not in the way, as they are
// not for git. git reads the commit back, and the main tree is unchanged.
func TestCommitInLinkedWorktree(t *testing.T) {
	s := newSandbox(t)
	repo := s.checkout()
	linked := filepath.Join(t.TempDir(), "linked")
	s.git(repo, "worktree", "add", "--quiet", "-b", "feature", linked)
	own := s.git(linked, "rev-parse", "--path-format=absolute", "--git-dir")
	common := s.git(linked, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if own == common {
		t.Fatalf("the linked tree's git folder is the common one: %s", own)
	}
	mainHead, mainStatus := s.git(repo, "rev-parse", "HEAD"), s.git(repo, "status", "--porcelain")
	seed := s.git(linked, "rev-parse", "HEAD")

	built := gitops.Built{Dir: filepath.Join(linked, "deploy"), Files: map[string][]byte{
		tree.Marker:         []byte(tree.MarkerText),
		"apps/dev/app.yaml": []byte("kind: App\n"),
	}}
	for p, b := range built.Files { // as the build writes them
		full := filepath.Join(built.Dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commit := func() (*gitops.Result, error) {
		t.Helper()
		co, err := gitops.Open(linked, gitops.Options{
			Author: "Bot <bot@example.com>", Committer: "Bot <bot@example.com>",
			InputFile: filepath.Join(t.TempDir(), "environments.yaml"),
			Env:       func(string) string { return "" },
		})
		if err != nil {
			t.Fatal(err)
		}
		return co.Commit(built)
	}
	lock := func(p string) {
		t.Helper()
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, p := range []string{
		filepath.Join(own, "index.lock"),
		filepath.Join(own, "HEAD.lock"),
		filepath.Join(common, "refs", "heads", "feature.lock"),
	} {
		lock(p)
		_, err := commit()
		if err == nil || !strings.Contains(err.Error(), "another git process seems to be running: "+p+" exists") {
			t.Errorf("Commit beside %s: %v", p, err)
		}
		if err := os.Remove(p); err != nil {
			t.Errorf("the lock %s: %v", p, err)
		}
		if got := s.git(linked, "rev-parse", "HEAD"); got != seed {
			t.Errorf("beside %s, HEAD moved to %s", p, got)
		}
	}

	// Where git takes no lock for a commit in the linked tree.
	notLocks := []string{
		filepath.Join(common, "index.lock"),
		filepath.Join(common, "HEAD.lock"),
		filepath.Join(own, "refs", "heads", "feature.lock"),
	}
	for _, p := range notLocks {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		lock(p)
	}
	res, err := commit()
	if err != nil {
		t.Fatalf("Commit in the linked tree: %v", err)
	}
	for _, p := range notLocks {
		if err := os.Remove(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if res.Branch != "feature" || res.Empty() {
		t.Errorf("result: %+v", res)
	}

	// git, in the linked tree and in the main one, reads what go-git wrote.
	if got := s.git(linked, "rev-parse", "HEAD"); got != res.Commit {
		t.Errorf("the linked tree's HEAD is %s, want the commit %s", got, res.Commit)
	}
	if got := s.git(repo, "rev-parse", "feature"); got != res.Commit {
		t.Errorf("feature is %s, want the commit %s", got, res.Commit)
	}
	if got := s.git(linked, "log", "-1", "--format=%s"); !strings.HasPrefix(got, "apkgen: update") {
		t.Errorf("git log in the linked tree: %s", got)
	}
	if got := s.git(linked, "status", "--porcelain"); got != "" {
		t.Errorf("git status in the linked tree:\n%s", got)
	}
	for _, ref := range []string{"HEAD", "feature"} {
		if got := s.git(linked, "log", "-g", "-1", "--format=%gs", ref); !strings.HasPrefix(got, "commit: apkgen: update") {
			t.Errorf("the reflog of %s in the linked tree: %s", ref, got)
		}
	}
	if got := s.git(repo, "rev-parse", "HEAD"); got != mainHead {
		t.Errorf("the main tree's HEAD moved to %s", got)
	}
	if got := s.git(repo, "log", "-g", "-1", "--format=%gs", "HEAD"); strings.Contains(got, "apkgen") {
		t.Errorf("the main tree's HEAD reflog has the commit: %s", got)
	}
	if got := s.git(repo, "status", "--porcelain"); got != mainStatus {
		t.Errorf("git status in the main tree:\n%s\nwas:\n%s", got, mainStatus)
	}
	s.git(linked, "fsck", "--strict", "--no-dangling")
}
