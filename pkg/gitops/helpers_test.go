package gitops_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apkgen/apkgen/pkg/gitops"
)

// The real git reads what apkgen wrote; tests skip without it.
func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: these tests check apkgen's commits with the git CLI")
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// TestMain removes the apkgen binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// apkgenBin builds the real binary once (go build reuses the test's cache).
func apkgenBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "apkgen-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "apkgen")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/apkgen/apkgen/cmd/apkgen")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		t.Fatalf("building apkgen: %v", binErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// botAuthor is the identity the CLI tests commit as, given as a flag.
const botAuthor = "--author=Bot <bot@example.com>"

// sandbox is a HOME without git configuration, and the environment every
// process of a test runs with: nothing from the developer's or CI's
// environment (no GITHUB_TOKEN, no identity) leaks in.
type sandbox struct {
	t    *testing.T
	home string
	env  []string
}

func newSandbox(t *testing.T) *sandbox {
	needGit(t)
	home := t.TempDir()
	return &sandbox{t: t, home: home, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"LANG=C",
		"TMPDIR=" + os.TempDir(),
	}}
}

// with returns a copy of the environment with more variables.
func (s *sandbox) with(vars ...string) []string {
	return append(append([]string(nil), s.env...), vars...)
}

// git runs the git CLI in dir and returns its trimmed output.
func (s *sandbox) git(dir string, args ...string) string {
	s.t.Helper()
	out, err := s.gitErr(dir, args...)
	if err != nil {
		s.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *sandbox) gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = s.with("GIT_AUTHOR_NAME=Test User", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test User", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// run is one apkgen process.
type run struct {
	code           int
	stdout, stderr string
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func (r run) result(t *testing.T) gitops.Result {
	t.Helper()
	var res gitops.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("the JSON report: %v\n%s", err, r)
	}
	return res
}

// initRepo makes a new repository, on branch main, and returns its folder.
func (s *sandbox) initRepo() string {
	s.t.Helper()
	dir := s.t.TempDir()
	s.git(dir, "init", "--quiet", "-b", "main")
	return dir
}

// clone clones the repository at url into a new folder and returns it.
func (s *sandbox) clone(url string) string {
	s.t.Helper()
	dir := s.t.TempDir()
	s.git(dir, "clone", "--quiet", url, ".")
	return dir
}

// commit runs apkgen build -f in --commit in repo, as a bot, and fails
// the test unless it exits 0.
func (s *sandbox) commit(repo, in string) {
	s.t.Helper()
	if r := s.apkgen(repo, nil, "build", "-f", in, "--commit", "--author=Bot <bot@example.com>"); r.code != 0 {
		s.t.Fatalf("build --commit: %s", r)
	}
}

// apkgen runs the binary in dir with the sandbox's environment and vars.
func (s *sandbox) apkgen(dir string, vars []string, args ...string) run {
	s.t.Helper()
	cmd := bounded(s.t, apkgenBin(s.t), args...)
	cmd.Dir = dir
	cmd.Env = s.with(vars...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("running apkgen: %v", err)
	}
	return r
}

// runLimit bounds each run of apkgen or of a script: one that hangs fails
// its test with what it printed, instead of the whole package's timeout.
const runLimit = 3 * time.Minute

// bounded is exec.Command, killed after runLimit or when the test ends.
func bounded(t *testing.T, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), runLimit)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 10 * time.Second // output pipes a killed child's children hold
	return cmd
}

// example writes examples/mixed.yaml to dir/name with the dev gateway
// hostname made unique by tag, so that inputs differ in one environment.
func example(t *testing.T, dir, name, tag string) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "examples", "mixed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if tag != "" {
		b = bytes.Replace(b, []byte("dev.gw.example.com"), []byte("dev-"+tag+".gw.example.com"), 1)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// bareRepo makes GIT_PROJECT_ROOT/name.git with one commit on main (a
// README), pushes accepted over HTTP.
func (s *sandbox) bareRepo(root, name string, seed bool) string {
	s.t.Helper()
	bare := filepath.Join(root, name+".git")
	s.git(root, "init", "--quiet", "--bare", "-b", "main", bare)
	s.git(bare, "config", "http.receivepack", "true")
	if seed {
		work := s.initRepo()
		if err := os.WriteFile(filepath.Join(work, "README.md"), []byte("# gitops\n"), 0o644); err != nil {
			s.t.Fatal(err)
		}
		s.git(work, "add", ".")
		s.git(work, "commit", "--quiet", "-m", "seed")
		s.git(work, "push", "--quiet", bare, "main")
	}
	return bare
}

// gitServer serves the bare repositories under root over smart HTTP
// (git http-backend behind net/http/cgi) on 127.0.0.1, behind basic auth.
func (s *sandbox) gitServer(root, user, password string) *httptest.Server {
	s.t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		s.t.Skip("git is not installed")
	}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
			"HOME=" + s.home, "GIT_CONFIG_NOSYSTEM=1", "PATH=" + os.Getenv("PATH")},
		Stderr: io.Discard, // "Not a git repository" for the test of a missing one
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	s.t.Cleanup(srv.Close)
	return srv
}

// closedPort is an address on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// served is a bare repository gitops.git, one commit on main, served over
// smart HTTP from root with the user x-access-token and the test's token.
func (s *sandbox) served() (root, bare string, srv *httptest.Server) {
	s.t.Helper()
	root = s.t.TempDir()
	bare = s.bareRepo(root, "gitops", true)
	return root, bare, s.gitServer(root, "x-access-token", token)
}
