package gitops_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const token = "s3cr3t-token-4f9a2c"

var botID = "--author=apkgen-bot <bot@example.com>"

// The bot's path over smart HTTP with a token: a new branch from main, then
// nothing to do, then a change on top of the branch.
func TestPublishHTTP(t *testing.T) {
	s := newSandbox(t)
	_, bare, srv := s.served()
	url := srv.URL + "/gitops.git"
	in := example(t, t.TempDir(), "environments.yaml", "")
	auth := []string{"APKGEN_GIT_TOKEN=" + token}
	args := []string{"build", "-f", in, "--repo", url, "--branch", "apkgen/update", "--push", botID, "--format", "json"}

	r := s.apkgen(t.TempDir(), auth, args...)
	if r.code != 0 {
		t.Fatalf("first push: %s", r)
	}
	res := r.result(t)
	if !res.Pushed || res.Branch != "apkgen/update" || res.Commit == "" || len(res.Added) == 0 {
		t.Fatalf("report: %+v", res)
	}
	if got := s.git(bare, "rev-parse", "apkgen/update"); got != res.Commit {
		t.Fatalf("the remote branch is %s, the report says %s", got, res.Commit)
	}
	if got := s.git(bare, "rev-parse", "apkgen/update~1"); got != s.git(bare, "rev-parse", "main") {
		t.Errorf("the branch does not start from main")
	}
	if got := s.git(bare, "diff", "--name-only", "main", "apkgen/update"); slices.Contains(strings.Split(got, "\n"), "README.md") || !strings.Contains(got, "deploy/apps/dev/") {
		t.Errorf("main..branch:\n%s", got)
	}
	s.git(bare, "fsck", "--strict", "--no-dangling")

	// The same input: nothing to do, exit 0.
	r = s.apkgen(t.TempDir(), auth, args...)
	if res := r.result(t); r.code != 0 || res.Pushed || res.Commit != "" {
		t.Fatalf("second push: %+v\n%s", res, r)
	}
	// A change: a commit on top of the branch.
	example(t, filepath.Dir(in), "environments.yaml", "v2")
	r = s.apkgen(t.TempDir(), auth, args...)
	res2 := r.result(t)
	if r.code != 0 || !res2.Pushed || !slices.Equal(res2.ChangedEnvironments, []string{"dev"}) {
		t.Fatalf("third push: %+v\n%s", res2, r)
	}
	if got := s.git(bare, "rev-parse", "apkgen/update~1"); got != res.Commit {
		t.Errorf("the new commit's parent is %s, want %s", got, res.Commit)
	}
	s.git(bare, "fsck", "--strict", "--no-dangling")
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Error("the token was printed")
	}
}

// A file:// remote, with git on PATH (git-receive-pack does the work) and
// without it (go-git's own server): apkgen needs no git binary. An empty
// remote gets a first commit.
func TestPublishFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars []string
		seed bool
	}{
		{"git on PATH", nil, true},
		{"no git", []string{"PATH=" + t.TempDir()}, true},
		{"empty remote", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			bare := s.bareRepo(t.TempDir(), "gitops", tc.seed)
			in := example(t, t.TempDir(), "environments.yaml", "")
			r := s.apkgen(t.TempDir(), tc.vars, "build", "-f", in, "--repo", "file://"+bare,
				"--branch", "main", "--push", botID, "--format", "json")
			res := r.result(t)
			if r.code != 0 || !res.Pushed || res.Branch != "main" {
				t.Fatalf("push: %+v\n%s", res, r)
			}
			if got := s.git(bare, "rev-parse", "main"); got != res.Commit {
				t.Errorf("main is %s, the report says %s", got, res.Commit)
			}
			want := "2"
			if !tc.seed {
				want = "1"
			}
			if got := s.git(bare, "rev-list", "--count", "main"); got != want {
				t.Errorf("%s commits on main, want %s", got, want)
			}
			s.git(bare, "fsck", "--strict", "--no-dangling")
		})
	}
}

// --base chooses where a new branch starts; a --base the remote lacks is
// an input error.
func TestPublishBase(t *testing.T) {
	s := newSandbox(t)
	bare := s.bareRepo(t.TempDir(), "gitops", true)
	s.git(bare, "branch", "release", "main")
	work := t.TempDir()
	s.git(work, "clone", "--quiet", "-b", "release", bare, ".")
	if err := os.WriteFile(filepath.Join(work, "RELEASE"), []byte("r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.git(work, "add", ".")
	s.git(work, "commit", "--quiet", "-m", "release only")
	s.git(work, "push", "--quiet", "origin", "release")
	in := example(t, t.TempDir(), "environments.yaml", "")

	r := s.apkgen(t.TempDir(), nil, "build", "-f", in, "--repo", "file://"+bare, "--branch", "bot", "--base", "release", "--push", botID)
	if r.code != 0 {
		t.Fatalf("push: %s", r)
	}
	if got := s.git(bare, "rev-parse", "bot~1"); got != s.git(bare, "rev-parse", "release") {
		t.Errorf("bot does not start from release")
	}
	r = s.apkgen(t.TempDir(), nil, "build", "-f", in, "--repo", "file://"+bare, "--branch", "other", "--base", "nope", "--push", botID)
	if r.code != 2 || !strings.Contains(r.stderr, "--base nope") {
		t.Errorf("a missing --base: %s", r)
	}
}

// Failures exit 3 with a clear message and never print a credential, also
// one embedded in the URL.
func TestPublishFailures(t *testing.T) {
	s := newSandbox(t)
	root, bare, srv := s.served()
	hooked := s.bareRepo(root, "hooked", true)
	hook := filepath.Join(hooked, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'policy: pushes to this repository are frozen' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := example(t, t.TempDir(), "environments.yaml", "")
	withToken := strings.Replace(srv.URL, "http://", "http://x-access-token:"+token+"@", 1)
	down := "http://x-access-token:" + token + "@" + closedPort(t) + "/gitops.git"

	for _, tc := range []struct {
		name, url string
		vars      []string
		want      string
	}{
		{"server down", down, []string{"APKGEN_GIT_TOKEN=" + token}, "cannot reach the remote"},
		{"wrong token", srv.URL + "/gitops.git", []string{"APKGEN_GIT_TOKEN=wrong-" + token}, "authentication"},
		{"wrong token in URL", strings.Replace(srv.URL, "http://", "http://x-access-token:wrong-"+token+"@", 1) + "/gitops.git", nil, "authentication"},
		{"no token", srv.URL + "/gitops.git", nil, "authentication"},
		{"hook", withToken + "/hooked.git", nil, "policy: pushes to this repository are frozen"},
		{"no repository", withToken + "/missing.git", nil, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.apkgen(t.TempDir(), tc.vars, "build", "-f", in, "--repo", tc.url, "--branch", "main", "--push", botID)
			t.Logf("stderr: %s", r.stderr)
			if r.code != 3 {
				t.Errorf("want exit 3, got %s", r)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want %q in the message, got %s", tc.want, r)
			}
			if strings.Contains(r.stdout+r.stderr, token) {
				t.Errorf("a credential was printed: %s", r)
			}
		})
	}
	// Nothing reached the remotes.
	for _, b := range []string{bare, hooked} {
		if got := s.git(b, "rev-list", "--count", "main"); got != "1" {
			t.Errorf("%s: main has %s commits, want 1", b, got)
		}
	}
}

// A build that fails in the clone (here: deploy/ holds a person's files,
// not apkgen's) is reported as without --repo, exit 2, and nothing is
// pushed.
func TestPublishBuildFails(t *testing.T) {
	s := newSandbox(t)
	bare := s.bareRepo(t.TempDir(), "gitops", true)
	work := s.clone(bare)
	if err := os.MkdirAll(filepath.Join(work, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "deploy", "hand.yaml"), []byte("kind: ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.git(work, "add", ".")
	s.git(work, "commit", "--quiet", "-m", "a file by hand")
	s.git(work, "push", "--quiet", "origin", "main")
	head := s.git(bare, "rev-parse", "main")

	in := example(t, t.TempDir(), "environments.yaml", "")
	r := s.apkgen(t.TempDir(), nil, "build", "-f", in, "--repo", "file://"+bare, "--branch", "main", "--push", botID)
	if r.code != 2 || !strings.Contains(r.stderr, "deploy: folder is not empty and was not created by apkgen") {
		t.Fatalf("want exit 2 naming the folder, got %s", r)
	}
	if got := s.git(bare, "rev-parse", "main"); got != head {
		t.Errorf("main moved from %s to %s", head, got)
	}
}

// In a checkout, --push pushes the branch to origin; when that fails, the
// local commit stays.
func TestCheckoutPush(t *testing.T) {
	s := newSandbox(t)
	root, bare, srv := s.served()
	repo := s.clone(bare)
	s.git(repo, "remote", "set-url", "origin", srv.URL+"/gitops.git")
	in := example(t, t.TempDir(), "environments.yaml", "")
	auth := []string{"GITHUB_TOKEN=" + token}

	r := s.apkgen(repo, auth, "build", "-f", in, "--commit", "--push", botID, "--format", "json")
	res := r.result(t)
	if r.code != 0 || !res.Pushed || res.Branch != "main" {
		t.Fatalf("push: %+v\n%s", res, r)
	}
	if got := s.git(bare, "rev-parse", "main"); got != res.Commit {
		t.Errorf("remote main = %s, want %s", got, res.Commit)
	}
	r = s.apkgen(repo, auth, "build", "-f", in, "--commit", "--push", "-v", botID)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to commit") || !strings.Contains(r.stdout, "nothing to push") {
		t.Errorf("again: %s", r)
	}
	// -v says what a committing build did, as a plain one.
	if !strings.Contains(r.stderr, "apkgen: evaluated ") || !strings.Contains(r.stderr, " kustomize folders") {
		t.Errorf("-v with --commit said nothing: %s", r)
	}

	// Someone else pushes; our next commit cannot go: exit 3, kept locally.
	other := s.clone(bare)
	if err := os.WriteFile(filepath.Join(other, "OTHER"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.git(other, "add", ".")
	s.git(other, "commit", "--quiet", "-m", "other")
	s.git(other, "push", "--quiet", "origin", "main")
	example(t, filepath.Dir(in), "environments.yaml", "v2")
	r = s.apkgen(repo, auth, "build", "-f", in, "--commit", "--push", botID)
	if r.code != 3 || !strings.Contains(r.stderr, "pull") || !strings.Contains(r.stderr, "stays") {
		t.Fatalf("push behind the remote: %s", r)
	}
	if got := s.git(repo, "log", "-1", "--format=%s"); got != "apkgen: update dev" {
		t.Errorf("the local commit is gone: HEAD is %q", got)
	}
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Errorf("the token was printed: %s", r)
	}

	// A hook rejects: exit 3, its message shown, the commit kept.
	hooked := s.bareRepo(root, "hooked", true)
	if err := os.WriteFile(filepath.Join(hooked, "hooks", "pre-receive"), []byte("#!/bin/sh\necho frozen >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	repo2 := s.clone(hooked)
	s.git(repo2, "remote", "set-url", "origin", strings.Replace(srv.URL, "http://", "http://x-access-token:"+token+"@", 1)+"/hooked.git")
	r = s.apkgen(repo2, nil, "build", "-f", in, "--commit", "--push", botID)
	if r.code != 3 || !strings.Contains(r.stderr, "remote: frozen") || strings.Contains(r.stdout+r.stderr, token) {
		t.Fatalf("push to a hook that rejects: %s", r)
	}
	if got := s.git(repo2, "rev-list", "--count", "HEAD"); got != "2" {
		t.Errorf("the local commit is gone: %s commits", got)
	}
}

// A checkout that is only behind origin's branch, with nothing to commit,
// has nothing to push: exit 0, and a note that it is behind. Behind with a
// commit of its own not pushed, it is exit 3 (pull first).
func TestCheckoutPushBehind(t *testing.T) {
	s := newSandbox(t)
	bare := s.bareRepo(t.TempDir(), "gitops", true)
	repo := s.clone(bare)
	in := example(t, t.TempDir(), "environments.yaml", "")
	if r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", botID); r.code != 0 {
		t.Fatalf("first push: %s", r)
	}
	other := s.clone(bare)
	otherCommit := func(name string) {
		if err := os.WriteFile(filepath.Join(other, name), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s.git(other, "add", ".")
		s.git(other, "commit", "--quiet", "-m", name)
		s.git(other, "push", "--quiet", "origin", "main")
	}
	otherCommit("OTHER")
	remote := s.git(bare, "rev-parse", "main")

	r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", botID)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to commit") || !strings.Contains(r.stdout, "nothing to push: origin's main has commits this checkout does not have") ||
		strings.Contains(r.stdout+r.stderr, "stays") {
		t.Fatalf("push of a checkout only behind: %s", r)
	}
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", botID, "--format", "json")
	if res := r.result(t); r.code != 0 || res.Pushed || !res.Behind || res.Commit != "" {
		t.Fatalf("push of a checkout only behind, json: %+v\n%s", res, r)
	}
	if got := s.git(bare, "rev-parse", "main"); got != remote {
		t.Errorf("the remote main moved to %s", got)
	}

	// A commit of the checkout's own, not pushed, and the remote moves on.
	example(t, filepath.Dir(in), "environments.yaml", "v2")
	if r := s.apkgen(repo, nil, "build", "-f", in, "--commit", botID); r.code != 0 {
		t.Fatalf("commit: %s", r)
	}
	otherCommit("OTHER2")
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", botID)
	if r.code != 3 || !strings.Contains(r.stderr, "pull") {
		t.Fatalf("push of a checkout behind and ahead: %s", r)
	}
}

// --push --branch B from another branch: the commit is on the branch
// checked out, the push goes to origin's B, and the report says so.
func TestCheckoutPushToOtherBranch(t *testing.T) {
	s := newSandbox(t)
	bare := s.bareRepo(t.TempDir(), "gitops", true)
	repo := s.clone(bare)
	s.git(repo, "checkout", "--quiet", "-b", "feat")
	in := example(t, t.TempDir(), "environments.yaml", "")
	r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", "--branch", "review/x", botID)
	head := s.git(repo, "rev-parse", "HEAD")
	if r.code != 0 || !strings.Contains(r.stdout, "committed "+head[:12]+" on feat of ") || !strings.Contains(r.stdout, "pushed feat to origin's review/x") {
		t.Fatalf("--push --branch review/x on feat: %s", r)
	}
	if got := s.git(bare, "rev-parse", "review/x"); got != head {
		t.Errorf("origin's review/x is %s, want %s", got, head)
	}
	if got := s.git(repo, "branch", "--list", "review/x"); got != "" {
		t.Errorf("a local review/x: %s", got)
	}

	// The JSON report names both branches.
	example(t, filepath.Dir(in), "environments.yaml", "v2")
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", "--branch", "review/x", botID, "--format", "json")
	res := r.result(t)
	if r.code != 0 || !res.Pushed || res.Branch != "review/x" || res.LocalBranch != "feat" || res.Commit != s.git(repo, "rev-parse", "HEAD") {
		t.Fatalf("--push --branch review/x on feat, json: %+v\n%s", res, r)
	}
	if !strings.Contains(r.stdout, `"branch": "review/x"`) || !strings.Contains(r.stdout, `"localBranch": "feat"`) {
		t.Errorf("the JSON keys: %s", r.stdout)
	}

	// Nothing new to commit: the text report names the branch checked out.
	r = s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", "--branch", "review/x", botID)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to commit: feat of ") {
		t.Errorf("--push --branch review/x on feat, nothing new: %s", r)
	}
}

// The push goes where git would push: origin's pushurl when it has one,
// and a relative path is one from the working tree's root, also when
// apkgen runs in a subfolder. Messages name the URL pushed to.
func TestCheckoutPushURL(t *testing.T) {
	s := newSandbox(t)
	in := example(t, t.TempDir(), "environments.yaml", "")

	t.Run("pushurl", func(t *testing.T) {
		root := t.TempDir()
		fetch := s.bareRepo(root, "fetch", true)
		// The same history as fetch's: a seed of its own could differ
		// (another second), and the push be refused as not a fast-forward
		// before the hook runs.
		push := filepath.Join(root, "push.git")
		s.git(root, "clone", "--quiet", "--bare", fetch, push)
		if err := os.WriteFile(filepath.Join(push, "hooks", "pre-receive"), []byte("#!/bin/sh\necho frozen >&2\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		repo := s.clone(fetch)
		s.git(repo, "remote", "set-url", "--push", "origin", push)
		r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", botID)
		if r.code != 3 || !strings.Contains(r.stderr, "pushing main to "+push+":") || strings.Contains(r.stderr, fetch) || !strings.Contains(r.stderr, "remote: frozen") {
			t.Fatalf("push to a pushurl whose hook rejects: %s", r)
		}
		if got := s.git(fetch, "rev-list", "--count", "main"); got != "1" {
			t.Errorf("the fetch URL got the push: %s commits", got)
		}
	})

	t.Run("relative path from a subfolder", func(t *testing.T) {
		root := t.TempDir()
		bare := s.bareRepo(root, "gitops", true)
		repo := filepath.Join(root, "work")
		s.git(root, "clone", "--quiet", bare, repo)
		s.git(repo, "remote", "set-url", "origin", "../gitops.git")
		sub := filepath.Join(repo, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		r := s.apkgen(sub, nil, "build", "-f", in, "-o", repo, "--commit", "--push", botID)
		if r.code != 0 {
			t.Fatalf("push to ../gitops.git from a subfolder: %s", r)
		}
		if got, want := s.git(bare, "rev-parse", "main"), s.git(repo, "rev-parse", "HEAD"); got != want {
			t.Errorf("the remote main is %s, want %s", got, want)
		}
	})

	t.Run("several push URLs", func(t *testing.T) {
		root := t.TempDir()
		a, b := s.bareRepo(root, "a", true), s.bareRepo(root, "b", true)
		repo := s.clone(a)
		s.git(repo, "remote", "set-url", "--add", "--push", "origin", a)
		s.git(repo, "remote", "set-url", "--add", "--push", "origin", b)
		r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--push", botID)
		if r.code != 2 || !strings.Contains(r.stderr, "push URLs") {
			t.Fatalf("several push URLs: %s", r)
		}
	})
}
