package gitops_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/tree"
)

// checkout is a GitOps repository with a user's work in progress: a
// committed README and flux-system folder, a staged change and an unstaged
// one outside the owned folder.
func (s *sandbox) checkout() string {
	s.t.Helper()
	repo := s.initRepo()
	write := func(p, text string) {
		full := filepath.Join(repo, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	write("README.md", "# gitops\n")
	write("notes.txt", "one\n")
	// An earlier apkgen build made the folder, flux bootstrap added its own.
	write("deploy/"+tree.Marker, tree.MarkerText)
	write("deploy/clusters/nonprod/flux-system/gotk-sync.yaml", "# written by flux bootstrap\n")
	s.git(repo, "add", ".")
	s.git(repo, "commit", "--quiet", "-m", "seed")
	write("notes.txt", "one\nstaged\n")
	s.git(repo, "add", "notes.txt")
	write("README.md", "# gitops\nunstaged\n")
	// flux bootstrap's folder changes on disk too: not apkgen's to commit.
	write("deploy/clusters/nonprod/flux-system/gotk-sync.yaml", "# changed by hand\n")
	return repo
}

func TestCommitInCheckout(t *testing.T) {
	s := newSandbox(t)
	repo := s.checkout()
	seed := s.git(repo, "rev-parse", "HEAD")
	in := example(t, t.TempDir(), "environments.yaml", "")

	r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--author", "Bot <bot@example.com>", "--format", "json")
	if r.code != 0 {
		t.Fatalf("build --commit: %s", r)
	}
	res := r.result(t)
	if res.Commit == "" || res.Branch != "main" || res.Pushed || len(res.Added) == 0 || len(res.Modified)+len(res.Removed) != 0 ||
		slices.Contains(res.Added, "deploy/.apkgen") {
		t.Fatalf("report: %+v", res)
	}
	if want := []string{"dev", "prod", "shared", "test", "uat"}; !slices.Equal(res.ChangedEnvironments, want) {
		t.Errorf("changedEnvironments = %v, want %v", res.ChangedEnvironments, want)
	}
	if got := s.git(repo, "rev-parse", "HEAD"); got != res.Commit {
		t.Errorf("HEAD = %s, the report says %s", got, res.Commit)
	}
	s.git(repo, "fsck", "--strict", "--no-dangling")

	// The commit touches the owned folder only, flux-system excluded.
	for _, p := range strings.Split(s.git(repo, "diff", "--name-only", "HEAD~1", "HEAD"), "\n") {
		if !strings.HasPrefix(p, "deploy/") || strings.Contains(p, "/flux-system/") {
			t.Errorf("the commit changes %s", p)
		}
	}
	if got := s.git(repo, "show", "HEAD:deploy/clusters/nonprod/flux-system/gotk-sync.yaml"); got != "# written by flux bootstrap" {
		t.Errorf("flux-system in the commit: %q", got)
	}
	// The user's work is as it was: staged stays staged, unstaged unstaged,
	// and the owned folder is clean.
	if got := s.git(repo, "diff", "--cached", "--name-only"); got != "notes.txt" {
		t.Errorf("staged after the commit: %q, want notes.txt", got)
	}
	if got := s.git(repo, "diff", "--cached", "notes.txt"); !strings.Contains(got, "+staged") {
		t.Errorf("the staged change changed:\n%s", got)
	}
	status := s.git(repo, "status", "--porcelain", "--untracked-files=no")
	if want := "M README.md\n M deploy/clusters/nonprod/flux-system/gotk-sync.yaml\nM  notes.txt"; status != want {
		t.Errorf("git status:\n%s\nwant:\n%s", status, want)
	}

	// The message: environments, then the provenance trailers.
	msg := s.git(repo, "log", "-1", "--format=%B")
	if !strings.HasPrefix(msg, "apkgen: update dev, prod, shared, test, uat\n") {
		t.Errorf("message:\n%s", msg)
	}
	trailers := s.git(repo, "log", "-1", "--format=%(trailers:only,unfold)")
	// The version is the binary's own, as `apkgen version` prints it.
	version := strings.Fields(s.apkgen(t.TempDir(), nil, "version").stdout)[1]
	for _, want := range []string{"Apkgen-Version: " + version, "Apkgen-Input-SHA256: " + sha256File(t, in)} {
		if !strings.Contains(trailers, want) {
			t.Errorf("trailers lack %q:\n%s", want, trailers)
		}
	}
	if strings.Contains(trailers, "Apkgen-Input-Commit") {
		t.Errorf("the input is in no repository, yet:\n%s", trailers)
	}
	if got := s.git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>"); got != "Bot <bot@example.com>|Bot <bot@example.com>" {
		t.Errorf("author|committer = %s", got)
	}

	// Again: nothing to commit, exit 0, no empty commit.
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit", "--author", "Bot <bot@example.com>")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to commit") {
		t.Fatalf("second build --commit: %s", r)
	}
	if got := s.git(repo, "rev-list", "--count", "HEAD"); got != "2" {
		t.Errorf("%s commits after a build with nothing to commit, want 2", got)
	}

	// One environment changes: the message names it alone.
	example(t, filepath.Dir(in), "environments.yaml", "v2")
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit", "--author", "Bot <bot@example.com>", "--format", "json")
	res = r.result(t)
	if r.code != 0 || !slices.Equal(res.ChangedEnvironments, []string{"dev"}) || len(res.Modified) == 0 || len(res.Added) != 0 {
		t.Fatalf("build --commit after a change of dev: %+v\n%s", res, r)
	}
	if got := s.git(repo, "log", "-1", "--format=%s"); got != "apkgen: update dev" {
		t.Errorf("subject = %q", got)
	}
	if got := s.git(repo, "rev-parse", "HEAD~2"); got != seed {
		t.Errorf("history: HEAD~2 = %s, want the seed %s", got, seed)
	}
	s.git(repo, "fsck", "--strict", "--no-dangling")
	if got := s.git(repo, "diff", "--cached", "--name-only"); got != "notes.txt" {
		t.Errorf("staged after the second commit: %q", got)
	}
}

// The environments file in the GitOps repository itself: its HEAD is the
// input commit. The identity comes from the environment, then git config.
func TestCommitProvenanceAndIdentity(t *testing.T) {
	s := newSandbox(t)
	repo := s.checkout()
	in := example(t, repo, "environments.yaml", "")
	s.git(repo, "add", "environments.yaml")
	s.git(repo, "commit", "--quiet", "-m", "input")
	inputCommit := s.git(repo, "rev-parse", "HEAD")

	// No identity anywhere: exit 2, nothing written, nothing committed.
	r := s.apkgen(repo, nil, "build", "-f", in, "--commit")
	if r.code != 2 || !strings.Contains(r.stderr, "--author") {
		t.Fatalf("without an identity: %s", r)
	}
	if _, err := os.Stat(filepath.Join(repo, "deploy", "apps")); err == nil {
		t.Error("a build that could not commit wrote the tree")
	}

	// The global configuration (HOME/.gitconfig) gives the author.
	s.git(repo, "config", "--global", "user.name", "Global User")
	s.git(repo, "config", "--global", "user.email", "global@example.com")
	r = s.apkgen(repo, []string{"GIT_COMMITTER_NAME=CI", "GIT_COMMITTER_EMAIL=ci@example.com"}, "build", "-f", in, "--commit")
	if r.code != 0 {
		t.Fatalf("build --commit: %s", r)
	}
	if got := s.git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>"); got != "Global User <global@example.com>|CI <ci@example.com>" {
		t.Errorf("author|committer = %s", got)
	}
	if got := s.git(repo, "log", "-1", "--format=%(trailers:key=Apkgen-Input-Commit,valueonly)"); got != inputCommit {
		t.Errorf("Apkgen-Input-Commit = %q, want %s", got, inputCommit)
	}
	if got := s.git(repo, "log", "-1", "--format=%b"); !strings.Contains(got, "from environments.yaml into deploy/") {
		t.Errorf("body:\n%s", got)
	}

	// Built from an edit not committed yet, the commit names no input
	// commit: HEAD does not hold what was built. The bytes' hash says what.
	example(t, repo, "environments.yaml", "edited")
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit")
	if r.code != 0 {
		t.Fatalf("build --commit of an uncommitted edit: %s", r)
	}
	if got := s.git(repo, "log", "-1", "--format=%(trailers:key=Apkgen-Input-Commit,valueonly)"); got != "" {
		t.Errorf("Apkgen-Input-Commit = %q for an input HEAD does not hold", got)
	}
	if got := s.git(repo, "log", "-1", "--format=%(trailers:key=Apkgen-Input-SHA256,valueonly)"); got == "" {
		t.Error("no Apkgen-Input-SHA256")
	}
	s.git(repo, "fsck", "--strict", "--no-dangling")
}

// --env rebuilds one environment; the commit has that environment's files.
// A repository without commits gets a first one.
func TestCommitFirstAndPartial(t *testing.T) {
	s := newSandbox(t)
	repo := t.TempDir()
	s.git(repo, "init", "--quiet", "-b", "trunk")
	in := example(t, t.TempDir(), "environments.yaml", "")
	s.commit(repo, in)
	if got := s.git(repo, "rev-list", "--count", "trunk"); got != "1" {
		t.Fatalf("commits on trunk: %s", got)
	}
	in2 := example(t, t.TempDir(), "environments.yaml", "v2")
	r := s.apkgen(repo, nil, "build", "-f", in2, "--env", "prod", "--commit", botAuthor)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to commit") {
		t.Fatalf("--env prod with a change of dev only: %s", r)
	}
	r = s.apkgen(repo, nil, "build", "-f", in2, "--env", "dev", "--commit", botAuthor, "--format", "json")
	if res := r.result(t); r.code != 0 || !slices.Equal(res.ChangedEnvironments, []string{"dev"}) {
		t.Fatalf("--env dev: %+v\n%s", res, r)
	}
	s.git(repo, "fsck", "--strict", "--no-dangling")
	if got := s.git(repo, "status", "--porcelain"); got != "" {
		t.Errorf("git status after the commits:\n%s", got)
	}
}

func TestCommitUsage(t *testing.T) {
	s := newSandbox(t)
	dir, repo := t.TempDir(), t.TempDir()
	s.git(repo, "init", "--quiet")
	in := example(t, dir, "environments.yaml", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--commit"}, "not in a git repository"},
		{[]string{"--repo", "https://example.com/x.git"}, "--repo needs --branch"},
		{[]string{"--repo", "https://example.com/x.git", "--branch", "b", "-o", dir}, "takes no -o"},
		{[]string{"--base", "main"}, "--base goes with --repo"},
		{[]string{"--branch", "b"}, "--branch goes with --push or --repo"},
		{[]string{"--author", "A <a@x>"}, "--author goes with --commit"},
		{[]string{"--commit", "-o", repo, "--author", "nobody"}, "Name <email>"},
		{[]string{"--format", "yaml"}, "want text or json"},
	} {
		r := s.apkgen(dir, nil, append([]string{"build", "-f", in}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit 2 and %q, got %s", tc.args, tc.want, r)
		}
	}
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// conflict makes branch other and main change f each its own way, main
// twice, and runs the git command that then stops on a conflict in f
// (merging or rebasing onto other, cherry-picking it, or reverting main's
// first change).
func conflict(t *testing.T, s *sandbox, repo string, args ...string) {
	t.Helper()
	change := func(text string) {
		if err := os.WriteFile(filepath.Join(repo, "f"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s.git(repo, "commit", "--quiet", "-am", text)
	}
	s.git(repo, "checkout", "--quiet", "-b", "other")
	change("b\n")
	s.git(repo, "checkout", "--quiet", "main")
	change("c\n")
	change("d\n")
	if _, err := s.gitErr(repo, args...); err == nil {
		t.Fatalf("git %s did not stop on a conflict", strings.Join(args, " "))
	}
}

// resolve settles the conflict in f and stages it, leaving the operation
// to be finished.
func resolve(t *testing.T, s *sandbox, repo string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(repo, "f"), []byte("resolved\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.git(repo, "add", "f")
}

// TestCommitRefusedBeforeWriting: what makes --commit or --push impossible
// is found before the build, so nothing is written and nothing committed.
func TestCommitRefusedBeforeWriting(t *testing.T) {
	s := newSandbox(t)
	in := example(t, t.TempDir(), "environments.yaml", "")
	seed := func(t *testing.T) string {
		repo := s.initRepo()
		if err := os.WriteFile(filepath.Join(repo, "f"), []byte("a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s.git(repo, "add", "f")
		s.git(repo, "commit", "--quiet", "-m", "seed")
		return repo
	}
	// Where a link to outside the repository points: it must stay empty.
	outside := t.TempDir()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, repo string)
		args  []string
		want  string
	}{
		{"detached HEAD", func(t *testing.T, repo string) {
			s.git(repo, "remote", "add", "origin", t.TempDir())
			s.git(repo, "checkout", "--quiet", "--detach")
		}, []string{"--push"}, "HEAD is detached"},
		{"no origin", func(t *testing.T, repo string) {}, []string{"--push"}, `no remote "origin"`},
		{"bad branch", func(t *testing.T, repo string) {
			s.git(repo, "remote", "add", "origin", t.TempDir())
		}, []string{"--push", "--branch", "a..b"}, "not a valid branch name"},
		{"merge conflict", func(t *testing.T, repo string) {
			conflict(t, s, repo, "merge", "--quiet", "other")
		}, []string{"--commit"}, "unresolved conflicts"},
		{"merge with its conflicts resolved", func(t *testing.T, repo string) {
			conflict(t, s, repo, "merge", "--quiet", "other")
			resolve(t, s, repo)
		}, []string{"--commit"}, "a merge is in progress (MERGE_HEAD)"},
		{"cherry-pick with its conflicts resolved", func(t *testing.T, repo string) {
			conflict(t, s, repo, "cherry-pick", "other")
			resolve(t, s, repo)
		}, []string{"--commit"}, "a cherry-pick is in progress (CHERRY_PICK_HEAD)"},
		{"revert with its conflicts resolved", func(t *testing.T, repo string) {
			conflict(t, s, repo, "revert", "--no-edit", "HEAD~1")
			resolve(t, s, repo)
		}, []string{"--commit"}, "a revert is in progress (REVERT_HEAD)"},
		{"rebase with its conflicts resolved", func(t *testing.T, repo string) {
			conflict(t, s, repo, "rebase", "--quiet", "other")
			resolve(t, s, repo)
		}, []string{"--commit"}, "a rebase is in progress (rebase-merge)"},
		{"rebase --apply with its conflicts resolved", func(t *testing.T, repo string) {
			conflict(t, s, repo, "rebase", "--apply", "--quiet", "other")
			resolve(t, s, repo)
		}, []string{"--commit"}, "a rebase is in progress (rebase-apply)"},
		{"owned folder a link out of the repository", func(t *testing.T, repo string) {
			if err := os.Symlink(outside, filepath.Join(repo, "deploy")); err != nil {
				t.Fatal(err)
			}
		}, []string{"--commit"}, "must be a folder inside the repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := seed(t)
			tc.setup(t, repo)
			head := s.git(repo, "rev-parse", "HEAD")
			status := s.git(repo, "status", "--porcelain", "--untracked-files=all")
			_, linkErr := os.Lstat(filepath.Join(repo, "deploy"))
			args := append([]string{"build", "-f", in, "-o", repo, "--author", "Bot <bot@example.com>"}, tc.args...)
			r := s.apkgen(repo, nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("want exit 2 and %q, got %s", tc.want, r)
			}
			if got := s.git(repo, "rev-parse", "HEAD"); got != head {
				t.Errorf("HEAD moved from %s to %s", head, got)
			}
			if got := s.git(repo, "status", "--porcelain", "--untracked-files=all"); got != status {
				t.Errorf("the work tree changed:\n%s\nwas:\n%s", got, status)
			}
			// Nothing written: no deploy folder (git status shows no empty
			// folder), or, for the link, nothing where it points; no
			// half-written tree beside it.
			if _, err := os.Lstat(filepath.Join(repo, "deploy")); errors.Is(linkErr, fs.ErrNotExist) && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("deploy was created (%v)", err)
			}
			if entries, err := os.ReadDir(outside); err != nil || len(entries) > 0 {
				t.Errorf("the link's target: %d entries, %v", len(entries), err)
			}
			entries, err := os.ReadDir(repo)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".apkgen-") {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}

// The owned folder may be a link to another folder of the same
// repository: -o names a subfolder, not the repository's root, and the
// commit holds the files where the link points.
func TestCommitThroughLinkInsideRepository(t *testing.T) {
	s := newSandbox(t)
	in := example(t, t.TempDir(), "environments.yaml", "")
	repo := s.initRepo()
	for _, dir := range []string{"sub", "other/deploy"} {
		if err := os.MkdirAll(filepath.Join(repo, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../other/deploy", filepath.Join(repo, "sub", "deploy")); err != nil {
		t.Fatal(err)
	}
	r := s.apkgen(repo, nil, "build", "-f", in, "-o", filepath.Join(repo, "sub"), "--commit", "--author", "Bot <bot@example.com>")
	if r.code != 0 {
		t.Fatalf("build --commit through a link inside the repository: %s", r)
	}
	files := s.git(repo, "ls-tree", "-r", "--name-only", "HEAD")
	if !strings.Contains(files, "other/deploy/.apkgen") {
		t.Errorf("the commit lacks the owned folder's files at other/deploy:\n%s", files)
	}
}

// With --commit, a missing environments file reads as it does without:
// the build reads the file, and the commit hashes what the build read.
func TestCommitMissingInput(t *testing.T) {
	s := newSandbox(t)
	repo := s.initRepo()
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	plain := s.apkgen(repo, nil, "build", "-f", missing, "-o", repo)
	commit := s.apkgen(repo, nil, "build", "-f", missing, "-o", repo, "--commit", "--author", "Bot <bot@example.com>")
	if plain.code != 2 || commit.code != 2 || plain.stderr != commit.stderr {
		t.Errorf("build: %s\nbuild --commit: %s", plain, commit)
	}
}

// Nothing to commit still leaves the owned folder's index entries equal to
// HEAD's, as a commit does: a file the user staged for deletion, or a hand
// edit staged, is put back in the index as the build put it back on disk.
func TestNothingToCommitResetsTheIndex(t *testing.T) {
	s := newSandbox(t)
	repo := s.checkout()
	in := example(t, t.TempDir(), "environments.yaml", "")
	s.commit(repo, in)
	s.git(repo, "rm", "--quiet", "deploy/apps/dev/namespace.yaml")
	edited := filepath.Join(repo, "deploy", "apps", "dev", "kustomization.yaml")
	if err := os.WriteFile(edited, []byte("# by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.git(repo, "add", "deploy/apps/dev/kustomization.yaml")

	r := s.apkgen(repo, nil, "build", "-f", in, "--commit", botAuthor)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to commit") {
		t.Fatalf("build --commit with the folder as HEAD has it: %s", r)
	}
	// (s.git trims the line's leading space: " M")
	if got := s.git(repo, "status", "--porcelain", "--untracked-files=all", "deploy"); got != "M deploy/clusters/nonprod/flux-system/gotk-sync.yaml" {
		t.Errorf("git status of deploy after nothing to commit:\n%s", got)
	}
	// The user's own staged change outside the folder stays staged.
	if got := s.git(repo, "diff", "--cached", "--name-only"); got != "notes.txt" {
		t.Errorf("staged: %q, want notes.txt", got)
	}
}

// --env rolls out the named environments only: a commit that would take
// along other environments' files that differ from HEAD (a hand edit, a
// full build not committed) is refused, exit 2, naming them, before
// anything is written or committed.
func TestCommitEnvRefusesOtherEnvironments(t *testing.T) {
	s := newSandbox(t)
	repo := s.initRepo()
	dir := t.TempDir()
	in := example(t, dir, "environments.yaml", "")
	s.commit(repo, in)
	head := s.git(repo, "rev-parse", "HEAD")
	// The next input changes dev and test.
	example(t, dir, "environments.yaml", "v2")
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte(strings.Replace(string(b), "test.gw.example.com", "test-v2.gw.example.com", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	refused := func(t *testing.T, want string) {
		t.Helper()
		// What a stopped build left stays too: a build recovers it only
		// once nothing can refuse it.
		leftover := filepath.Join(repo, ".deploy.apkgen-old-0123456789ab", "apps", "dev")
		if err := os.MkdirAll(leftover, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(leftover, "x.yaml"), []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		status := s.git(repo, "status", "--porcelain", "--untracked-files=all")
		r := s.apkgen(repo, nil, "build", "-f", in, "--env", "dev", "--commit", botAuthor)
		if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "deploy/apps/dev/") {
			t.Fatalf("--env dev --commit: want exit 2 naming %s (and no file of dev), got %s", want, r)
		}
		if got := s.git(repo, "rev-parse", "HEAD"); got != head {
			t.Errorf("HEAD moved to %s", got)
		}
		if got := s.git(repo, "status", "--porcelain", "--untracked-files=all"); got != status {
			t.Errorf("the refused build wrote:\n%s\nwas:\n%s", got, status)
		}
	}

	// A hand edit of test's.
	hand := filepath.Join(repo, "deploy", "apps", "test", "kustomization.yaml")
	orig, err := os.ReadFile(hand)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hand, append(orig, "# by hand\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	refused(t, "deploy/apps/test/kustomization.yaml")
	if err := os.WriteFile(hand, orig, 0o644); err != nil {
		t.Fatal(err)
	}

	// A full build not committed: test's new files are on disk.
	if r := s.apkgen(repo, nil, "build", "-f", in); r.code != 0 {
		t.Fatalf("build: %s", r)
	}
	refused(t, "deploy/apps/test/")

	// Once they are as HEAD has them, dev alone is committed.
	s.git(repo, "checkout", "--quiet", "HEAD", "--", "deploy/apps/test", "deploy/README.md")
	r := s.apkgen(repo, nil, "build", "-f", in, "--env", "dev", "--commit", botAuthor, "--format", "json")
	if res := r.result(t); r.code != 0 || !slices.Equal(res.ChangedEnvironments, []string{"dev"}) {
		t.Fatalf("--env dev --commit: %+v\n%s", res, r)
	}
	if got := s.git(repo, "diff", "--name-only", "HEAD~1", "HEAD", "--", "deploy/apps/test"); got != "" {
		t.Errorf("the commit of dev changes test's files:\n%s", got)
	}
}

// The identity is the one git commit would use: configuration pulled in
// by include and includeIf (gitdir, onbranch), GIT_CONFIG_GLOBAL and
// GIT_CONFIG_COUNT/KEY/VALUE count, as git var reads them. Without git on
// PATH, the repository's user.name and user.email still do.
func TestCommitIdentityAsGitHasIt(t *testing.T) {
	s := newSandbox(t)
	in := example(t, t.TempDir(), "environments.yaml", "")
	writeFile := func(p, text string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		global string // ~/.gitconfig; %REPO% is the repository's path
		files  map[string]string
		vars   []string
		want   string // author|committer
	}{
		{"include", "[include]\n\tpath = id.inc\n", map[string]string{"id.inc": "[user]\n\tname = Included\n\temail = inc@example.com\n"}, nil,
			"Included <inc@example.com>|Included <inc@example.com>"},
		{"includeIf gitdir", "[user]\n\tname = Home\n\temail = home@example.com\n[includeIf \"gitdir:%REPO%/\"]\n\tpath = work.inc\n",
			map[string]string{"work.inc": "[user]\n\temail = work@example.com\n"}, nil,
			"Home <work@example.com>|Home <work@example.com>"},
		{"includeIf onbranch", "[user]\n\tname = Home\n\temail = home@example.com\n[includeIf \"onbranch:main\"]\n\tpath = main.inc\n",
			map[string]string{"main.inc": "[user]\n\tname = On Main\n"}, nil,
			"On Main <home@example.com>|On Main <home@example.com>"},
		{"GIT_CONFIG_GLOBAL", "[user]\n\tname = Home\n\temail = home@example.com\n",
			map[string]string{"other.gitconfig": "[user]\n\tname = Other\n\temail = other@example.com\n"}, []string{"GIT_CONFIG_GLOBAL=%HOME%/other.gitconfig"},
			"Other <other@example.com>|Other <other@example.com>"},
		{"GIT_CONFIG_COUNT", "[user]\n\tname = Home\n\temail = home@example.com\n", nil,
			[]string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=user.email", "GIT_CONFIG_VALUE_0=env@example.com"},
			"Home <env@example.com>|Home <env@example.com>"},
		{"author.name and the variables", "[user]\n\tname = Home\n\temail = home@example.com\n[author]\n\tname = Writer\n", nil,
			[]string{"GIT_COMMITTER_EMAIL=ci@example.com"},
			"Writer <home@example.com>|Home <ci@example.com>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			repo := s.initRepo()
			writeFile(filepath.Join(home, ".gitconfig"), strings.ReplaceAll(tc.global, "%REPO%", repo))
			for name, text := range tc.files {
				writeFile(filepath.Join(home, name), text)
			}
			vars := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
			for _, v := range tc.vars {
				vars = append(vars, strings.ReplaceAll(v, "%HOME%", home))
			}
			r := s.apkgen(repo, vars, "build", "-f", in, "--commit")
			if r.code != 0 {
				t.Fatalf("build --commit: %s", r)
			}
			if got := s.git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>"); got != tc.want {
				t.Errorf("author|committer = %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("--repo", func(t *testing.T) {
		home := t.TempDir()
		writeFile(filepath.Join(home, ".gitconfig"), "[include]\n\tpath = id.inc\n")
		writeFile(filepath.Join(home, "id.inc"), "[user]\n\tname = Included\n\temail = inc@example.com\n")
		bare := s.bareRepo(t.TempDir(), "gitops", true)
		r := s.apkgen(t.TempDir(), []string{"HOME=" + home}, "build", "-f", in, "--repo", "file://"+bare, "--branch", "main", "--push")
		if r.code != 0 {
			t.Fatalf("build --repo: %s", r)
		}
		if got := s.git(bare, "log", "-1", "--format=%an <%ae>", "main"); got != "Included <inc@example.com>" {
			t.Errorf("author = %s", got)
		}
		// Run from inside another repository, with the temporary folders
		// there too: git is asked outside it, so its user is not the bot's.
		other := s.initRepo()
		s.git(other, "config", "user.name", "Other Repo")
		s.git(other, "config", "user.email", "other@example.com")
		tmp := filepath.Join(other, "tmp")
		if err := os.Mkdir(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		changed := example(t, t.TempDir(), "environments.yaml", "inside")
		r = s.apkgen(other, []string{"HOME=" + home, "TMPDIR=" + tmp}, "build", "-f", changed, "--repo", "file://"+bare, "--branch", "main", "--push")
		if r.code != 0 {
			t.Fatalf("build --repo from inside a repository: %s", r)
		}
		if got := s.git(bare, "log", "-1", "--format=%an <%ae>", "main"); got != "Included <inc@example.com>" {
			t.Errorf("from inside a repository, author = %s", got)
		}
	})

	t.Run("no git", func(t *testing.T) {
		repo := s.initRepo()
		s.git(repo, "config", "user.name", "Repo User")
		s.git(repo, "config", "user.email", "repo@example.com")
		r := s.apkgen(repo, []string{"PATH=" + t.TempDir()}, "build", "-f", in, "--commit")
		if r.code != 0 {
			t.Fatalf("build --commit: %s", r)
		}
		if got := s.git(repo, "log", "-1", "--format=%an <%ae>"); got != "Repo User <repo@example.com>" {
			t.Errorf("author = %s", got)
		}
	})
}

// build --commit beside one of the locks git commit takes (index.lock,
// HEAD.lock, the branch's .lock) commits nothing, exit 3, and leaves the
// other process's lock alone: the CLI refuses it before writing
// (Checkout.Check); TestCommitRefusesGitsLocks covers Commit's own
// refusal. A commit writes the reflogs of the branch and of HEAD, as git
// commit does.
func TestCommitTakesGitsLocks(t *testing.T) {
	s := newSandbox(t)
	repo := s.checkout()
	dir := t.TempDir()
	in := example(t, dir, "environments.yaml", "")
	for _, lock := range []string{"index.lock", "HEAD.lock", "refs/heads/main.lock"} {
		t.Run(lock, func(t *testing.T) {
			p := filepath.Join(repo, ".git", filepath.FromSlash(lock))
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			head := s.git(repo, "rev-parse", "HEAD")
			staged := s.git(repo, "diff", "--cached", "--name-only")
			status := s.git(repo, "status", "--porcelain", "--untracked-files=all")
			r := s.apkgen(repo, nil, "build", "-f", in, "--commit", botAuthor)
			if r.code != 3 || !strings.Contains(r.stderr, "another git process seems to be running: "+p+" exists; remove it if not") {
				t.Fatalf("build --commit beside %s: %s", lock, r)
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("the other process's lock is gone: %v", err)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if got := s.git(repo, "rev-parse", "HEAD"); got != head {
				t.Errorf("HEAD moved to %s", got)
			}
			if got := s.git(repo, "diff", "--cached", "--name-only"); got != staged {
				t.Errorf("the index changed: staged %q, was %q", got, staged)
			}
			if got := s.git(repo, "status", "--porcelain", "--untracked-files=all"); got != status {
				t.Errorf("the tree was written beside %s:\n%s\nwas:\n%s", lock, got, status)
			}
		})
	}

	s.commit(repo, in)
	example(t, dir, "environments.yaml", "v2")
	s.commit(repo, in)
	want := "commit: apkgen: update dev|commit: apkgen: update dev, prod, shared, test, uat|commit (initial): seed"
	for _, ref := range []string{"main", "HEAD"} {
		if got := strings.ReplaceAll(s.git(repo, "log", "-g", "--format=%gs", ref), "\n", "|"); got != want {
			t.Errorf("reflog of %s: %s, want %s", ref, got, want)
		}
	}
	if got := s.git(repo, "log", "-g", "-1", "--format=%H %gn <%ge>", "main"); got != s.git(repo, "rev-parse", "HEAD")+" Bot <bot@example.com>" {
		t.Errorf("reflog entry: %s", got)
	}
	if locks, _ := filepath.Glob(filepath.Join(repo, ".git", "*.lock")); len(locks) > 0 {
		t.Errorf("left behind: %v", locks)
	}
	if locks, _ := filepath.Glob(filepath.Join(repo, ".git", "refs", "heads", "*.lock")); len(locks) > 0 {
		t.Errorf("left behind: %v", locks)
	}
	s.git(repo, "fsck", "--strict", "--no-dangling")
}

// TestLockFoundBeforeWriting: a lock of git's is found before the build
// writes the tree, so the files another git process works on are left as
// they are, what a stopped build left beside the folder included (a build
// recovers it first, moving and removing folders in the work tree).
func TestLockFoundBeforeWriting(t *testing.T) {
	s := newSandbox(t)
	repo := s.checkout()
	dir := t.TempDir()
	in := example(t, dir, "environments.yaml", "")
	s.commit(repo, in)
	example(t, dir, "environments.yaml", "v2")
	leftover := filepath.Join(repo, ".deploy.apkgen-old-0123456789ab", "apps", "dev")
	if err := os.MkdirAll(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(leftover, "x.yaml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status := s.git(repo, "status", "--porcelain", "--untracked-files=all")
	lock := filepath.Join(repo, ".git", "index.lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := s.apkgen(repo, nil, "build", "-f", in, "--commit", botAuthor); r.code != 3 || !strings.Contains(r.stderr, "index.lock exists") {
		t.Fatalf("build --commit beside index.lock: %s", r)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if got := s.git(repo, "status", "--porcelain", "--untracked-files=all"); got != status {
		t.Errorf("the tree was written beside the lock:\n%s\nwas:\n%s", got, status)
	}
}
