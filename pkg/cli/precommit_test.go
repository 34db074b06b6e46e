package cli_test

// End-to-end tests with the real pre-commit framework. CI needs:
//
//	apt-get update && apt-get install -y pre-commit git
//
// Without pre-commit on PATH these tests skip and say so.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// projectRoot is the apkgen repository this test runs in.
func projectRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// buildApkgen builds cmd/apkgen into a temporary folder and returns its path.
func buildApkgen(t testing.TB) string {
	t.Helper()
	return buildApkgenFrom(t, projectRoot(t))
}

func needPreCommit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Skip("pre-commit is not on PATH; install it (CI: apt-get update && apt-get install -y pre-commit) to run this test")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH; install it (CI: apt-get install -y git) to run this test")
	}
}

// gitopsRepo is a temporary Git repository holding an environments file and
// the tree built from it, committed.
type gitopsRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newGitopsRepo(t *testing.T) *gitopsRepo {
	r := &gitopsRepo{t: t, dir: t.TempDir()}
	home := t.TempDir()
	r.env = append(os.Environ(),
		"HOME="+home,
		"PRE_COMMIT_HOME="+filepath.Join(home, "pre-commit"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=apkgen test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=apkgen test", "GIT_COMMITTER_EMAIL=test@example.com",
		"NO_COLOR=1",
	)
	r.must("git", "init", "-q", "-b", "main")
	src, err := os.ReadFile(filepath.Join(projectRoot(t), "examples", "dp-per-namespace.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r.write("environments.yaml", string(src))
	return r
}

func (r *gitopsRepo) write(name, content string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *gitopsRepo) read(name string) string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// run runs a command in the repository and returns its combined output
// and whether it succeeded.
func (r *gitopsRepo) run(name string, args ...string) (string, bool) {
	r.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		r.t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out), err == nil
}

func (r *gitopsRepo) must(name string, args ...string) string {
	r.t.Helper()
	out, ok := r.run(name, args...)
	if !ok {
		r.t.Fatalf("%s %s failed:\n%s", name, strings.Join(args, " "), out)
	}
	return out
}

func (r *gitopsRepo) head() string {
	return strings.TrimSpace(r.must("git", "rev-parse", "HEAD"))
}

// staleEdit changes dev's gateway hostname in the environments file and
// stages only that file: the committed tree would then be stale.
func (r *gitopsRepo) staleEdit() {
	r.t.Helper()
	env := r.read("environments.yaml")
	changed := strings.Replace(env, "gateway: dev.gw.example.com", "gateway: dev2.gw.example.com", 1)
	if changed == env {
		r.t.Fatal("the example no longer has dev.gw.example.com")
	}
	r.write("environments.yaml", changed)
	r.must("git", "add", "environments.yaml")
}

// wantRefusedWithDiff checks the output of a hook run that must fail on a
// stale tree: the hook failed with exit code 1 and showed the diff.
func wantRefusedWithDiff(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		"apkgen build --check",
		"Failed",
		"- hook id: apkgen-check",
		"- exit code: 1",
		"changed    deploy/apps/dev/apk-release.yaml",
		"--- a/deploy/apps/dev/apk-release.yaml",
		"-              hostname: dev.gw.example.com",
		"+              hostname: dev2.gw.example.com",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
}

// TestPreCommitLocalHook: the apkgen-check hook, as a repo: local hook with
// language: system running a freshly built apkgen, installed as the Git
// pre-commit hook: a commit whose tree is stale is refused with the diff
// shown; after apkgen build the commit goes through.
func TestPreCommitLocalHook(t *testing.T) {
	needPreCommit(t)
	bin := buildApkgen(t)
	r := newGitopsRepo(t)
	r.write(".pre-commit-config.yaml", `repos:
  - repo: local
    hooks:
      - id: apkgen-check
        name: apkgen build --check
        entry: `+bin+` build --check
        language: system
        files: '(^|/)environments\.(ya?ml|json|cue)$'
        pass_filenames: false
`)
	r.must(bin, "build")
	r.must("git", "add", "-A")
	r.must("pre-commit", "install")
	out := r.must("git", "commit", "-q", "-m", "first build")
	if !strings.Contains(out, "apkgen build --check") || !strings.Contains(out, "Passed") {
		t.Errorf("first commit: the hook did not run and pass:\n%s", out)
	}
	first := r.head()

	r.staleEdit()
	out, ok := r.run("git", "commit", "-m", "new dev hostname, tree not rebuilt")
	if ok {
		t.Fatalf("a commit with a stale tree went through:\n%s", out)
	}
	wantRefusedWithDiff(t, out)
	if r.head() != first {
		t.Errorf("HEAD moved although the hook failed")
	}

	r.must(bin, "build")
	r.must("git", "add", "-A")
	out = r.must("git", "commit", "-m", "new dev hostname")
	if !strings.Contains(out, "Passed") {
		t.Errorf("commit after apkgen build: hook did not pass:\n%s", out)
	}
	if r.head() == first {
		t.Errorf("HEAD did not move")
	}
	if !strings.Contains(r.read("deploy/apps/dev/apk-release.yaml"), "hostname: dev2.gw.example.com") {
		t.Errorf("the committed tree does not have the new hostname")
	}
}

// TestPreCommitTryRepo runs the project's own .pre-commit-hooks.yaml the way
// a user's configuration would: pre-commit try-repo on a clone of this
// repository (its committed HEAD), which builds the hooks with go install
// (language: golang): on a stale tree apkgen-check fails with the diff while
// apkgen-validate passes; after apkgen build both pass. The modules come
// from the Go module cache, or from the module proxy when they are not
// cached; the test skips, saying so, when neither has them.
func TestPreCommitTryRepo(t *testing.T) {
	needPreCommit(t)
	if testing.Short() {
		t.Skip("-short: skipping the go install of the hook")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: pre-commit's golang language needs it")
	}
	root := projectRoot(t)
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skipf("%s is not a Git checkout, nothing to clone: %v", root, err)
	}
	clone := filepath.Join(t.TempDir(), "apkgen")
	if out, err := exec.Command("git", "clone", "-q", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone %s: %v\n%s", root, err, out)
	}
	if _, err := os.Stat(filepath.Join(clone, ".pre-commit-hooks.yaml")); err != nil {
		t.Fatalf("the committed HEAD of %s has no .pre-commit-hooks.yaml: %v", root, err)
	}
	r := newGitopsRepo(t)
	if out, ok := r.run("pre-commit", "validate-manifest", filepath.Join(clone, ".pre-commit-hooks.yaml")); !ok {
		t.Fatalf("pre-commit validate-manifest:\n%s", out)
	}

	// pre-commit runs go install with GOPATH in its own folder (and HOME is
	// a fresh one here); share this machine's module and build caches so
	// that it needs no network when the modules are there, does not compile
	// everything anew for each try-repo (each is a new clone to pre-commit),
	// and never downloads a toolchain.
	caches, err := exec.Command(goBin, "env", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE GOCACHE: %v", err)
	}
	c := strings.Split(strings.TrimSpace(string(caches)), "\n")
	if len(c) != 2 {
		t.Fatalf("go env GOMODCACHE GOCACHE: %q", caches)
	}
	r.env = append(r.env, "GOMODCACHE="+c[0], "GOCACHE="+c[1], "GOTOOLCHAIN=local")
	list := exec.Command(goBin, "list", "-deps", "./...")
	list.Dir, list.Env = clone, r.env
	if out, err := list.CombinedOutput(); err != nil {
		t.Skipf("the hook's modules are neither in the module cache nor reachable through the module proxy "+
			"(GOPROXY=%s), so pre-commit's go install cannot build it here: %v\n%s", os.Getenv("GOPROXY"), err, lastLines(string(out), 5))
	}

	bin := buildApkgenFrom(t, clone)
	r.must(bin, "build")
	r.must("git", "add", "-A")
	r.must("git", "commit", "-q", "-m", "first build")

	// try-repo runs every hook of the clone on the staged files. Each run
	// is a new clone to pre-commit, so it installs (go install) anew: two
	// runs keep the test under a minute.
	r.staleEdit()
	out, ok := r.run("pre-commit", "try-repo", clone)
	if ok {
		t.Fatalf("the hooks passed on a stale tree:\n%s", out)
	}
	wantRefusedWithDiff(t, out)
	if !regexp.MustCompile(`apkgen validate\.+Passed`).MatchString(out) {
		t.Errorf("apkgen-validate on a valid file: want Passed:\n%s", out)
	}

	r.must(bin, "build")
	r.must("git", "add", "-A")
	out, ok = r.run("pre-commit", "try-repo", clone)
	if !ok || !regexp.MustCompile(`apkgen build --check\.+Passed`).MatchString(out) {
		t.Errorf("apkgen-check after apkgen build: want Passed:\n%s", out)
	}
}

// buildApkgenFrom builds cmd/apkgen of the project at dir (a clone, say).
func buildApkgenFrom(t testing.TB, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build the apkgen binary")
	}
	bin := filepath.Join(t.TempDir(), "apkgen")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/apkgen")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
	return bin
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
