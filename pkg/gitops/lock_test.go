package gitops

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TestCommitRefusesGitsLocks: Commit itself refuses each lock git commit
// takes (the CLI's Check refuses them earlier, so only this test reaches
// Commit's own refusal). HEAD, the index and the working tree stay as they
// were, and so does the other process's lock, which is neither removed nor
// rewritten; no lock of apkgen's is left behind. Once the lock is gone, the
// same commit goes through.
func TestCommitRefusesGitsLocks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		detached bool
		lock     string // the lock present, in the git folder
	}{
		{"index", false, "index.lock"},
		{"HEAD", false, "HEAD.lock"},
		{"branch", false, "refs/heads/main.lock"},
		{"detached HEAD", true, "HEAD.lock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := lockTestRepo(t, tc.detached)
			gitDir := filepath.Join(root, ".git")
			other := filepath.Join(gitDir, filepath.FromSlash(tc.lock))
			const otherText = "another git process is writing this\n"
			if err := os.WriteFile(other, []byte(otherText), 0o644); err != nil {
				t.Fatal(err)
			}
			built := Built{Dir: filepath.Join(root, "deploy"), Files: map[string][]byte{
				"apps/dev/app.yaml": []byte("kind: App\n"),
			}}
			writeFiles(t, built.Dir, built.Files) // as the build would
			gitBefore, treeBefore := gitState(t, gitDir), workTree(t, root)

			co, err := Open(root, botOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			_, err = co.Commit(built)
			var gitErr *Error
			want := "another git process seems to be running: " + other + " exists; remove it if not"
			if !errors.As(err, &gitErr) || !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), want) {
				t.Errorf("Commit beside %s: %v, want %q", tc.lock, err, want)
			}
			if b, err := os.ReadFile(other); err != nil || string(b) != otherText {
				t.Errorf("the other process's lock: %q, %v; want it untouched", b, err)
			}
			if got := gitState(t, gitDir); !maps.Equal(got, gitBefore) {
				t.Errorf("HEAD, the branch or the index changed:\n%v\nwas:\n%v", got, gitBefore)
			}
			if got := workTree(t, root); !maps.Equal(got, treeBefore) {
				t.Errorf("the working tree changed:\n%v\nwas:\n%v", got, treeBefore)
			}
			for _, lock := range []string{"index.lock", "HEAD.lock", "refs/heads/main.lock"} {
				if p := filepath.Join(gitDir, filepath.FromSlash(lock)); p != other {
					if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("apkgen's %s is left behind (%v)", lock, err)
					}
				}
			}

			if err := os.Remove(other); err != nil {
				t.Fatal(err)
			}
			if res, err := co.Commit(built); err != nil || res.Empty() {
				t.Fatalf("Commit without the lock: %+v, %v", res, err)
			}
		})
	}
}

// lockTestRepo is a repository on main with one commit (a README), made by
// go-git: a commit of apkgen's there changes HEAD, the branch and the index.
// detached leaves HEAD on that commit rather than on main.
func lockTestRepo(t *testing.T, detached bool) string {
	t.Helper()
	root := t.TempDir()
	repo, err := git.PlainInitWithOptions(root, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, root, map[string][]byte{"README.md": []byte("# gitops\n")})
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add("README.md"); err != nil {
		t.Fatal(err)
	}
	who := &object.Signature{Name: "Test User", Email: "test@example.com", When: time.Now()}
	seed, err := wt.Commit("seed", &git.CommitOptions{Author: who, Committer: who})
	if err != nil {
		t.Fatal(err)
	}
	if detached {
		if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.HEAD, seed)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// commitBuilt writes files into root's folder deploy, as a build of envs
// (none: all) would, and commits them with Commit.
func commitBuilt(t *testing.T, root string, files map[string][]byte, envs ...string) (*Result, error) {
	t.Helper()
	dir := filepath.Join(root, "deploy")
	writeFiles(t, dir, files)
	co, err := Open(root, botOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	return co.Commit(Built{Dir: dir, Files: files, Envs: envs})
}

// botOptions commit as a bot, from an input outside any repository,
// with nothing from the test's environment.
func botOptions(t *testing.T) Options {
	return Options{
		Author: "Bot <bot@example.com>", Committer: "Bot <bot@example.com>",
		InputFile: filepath.Join(t.TempDir(), "environments.yaml"),
		Env:       func(string) string { return "" },
	}
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitState is what a commit changes in the git folder: HEAD, the branch
// main and the index (its SHA-256: it is binary), by name ("" for a file
// that does not exist).
func gitState(t *testing.T, gitDir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	for _, name := range []string{"HEAD", "refs/heads/main", "index"} {
		b, err := os.ReadFile(filepath.Join(gitDir, filepath.FromSlash(name)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		state[name] = strings.TrimSpace(string(b))
		if name == "index" {
			state[name] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
	}
	return state
}

// workTree is every file of the working tree (the git folder left out),
// by path, with its content and mode.
func workTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, _ := os.ReadFile(p) // a folder reads as nothing
		files[p] = info.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestUpdateRefRefusesMovedBranch: under the locks, updateRef moves the
// branch only from the commit apkgen built on; a branch another process
// moved meanwhile is left where it went, and the locks are released.
func TestUpdateRefRefusesMovedBranch(t *testing.T) {
	root := lockTestRepo(t, false)
	gitDir := filepath.Join(root, ".git")
	co, err := Open(root, botOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	target, cur, err := co.tip()
	if err != nil {
		t.Fatal(err)
	}
	// Another process commits on main: main moves to a new commit.
	moved := plumbing.NewHash("1111111111111111111111111111111111111111")
	if err := co.repo.Storer.SetReference(plumbing.NewHashReference(target, moved)); err != nil {
		t.Fatal(err)
	}
	before := gitState(t, gitDir)
	err = co.updateRef(target, cur, plumbing.NewHash("2222222222222222222222222222222222222222"),
		Identity{Name: "Bot", Email: "bot@example.com"}, time.Now(), "commit: x")
	if err == nil || err.Error() != "main moved while apkgen was committing" {
		t.Errorf("updateRef after main moved: %v", err)
	}
	if got := gitState(t, gitDir); !maps.Equal(got, before) {
		t.Errorf("HEAD or main changed:\n%v\nwas:\n%v", got, before)
	}
	for _, lock := range []string{"HEAD.lock", "refs/heads/main.lock"} {
		if _, err := os.Lstat(filepath.Join(gitDir, filepath.FromSlash(lock))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is left behind (%v)", lock, err)
		}
	}

	// Another process checks out another branch at the same commit.
	co.repo.Storer.SetReference(plumbing.NewHashReference(target, cur.Hash()))
	other := plumbing.NewBranchReferenceName("other")
	if err := co.repo.Storer.SetReference(plumbing.NewHashReference(other, cur.Hash())); err != nil {
		t.Fatal(err)
	}
	if err := co.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, other)); err != nil {
		t.Fatal(err)
	}
	before = gitState(t, gitDir)
	err = co.updateRef(target, cur, plumbing.NewHash("2222222222222222222222222222222222222222"),
		Identity{Name: "Bot", Email: "bot@example.com"}, time.Now(), "commit: x")
	if err == nil {
		t.Errorf("updateRef after HEAD moved to other: nil")
	}
	if got := gitState(t, gitDir); !maps.Equal(got, before) {
		t.Errorf("HEAD or main changed:\n%v\nwas:\n%v", got, before)
	}
}

// TestCommitRefusesOtherEnvs: Commit itself refuses a --env build whose
// commit would change another environment's files (the CLI's Check
// refuses it earlier, so only this test reaches Commit's own refusal),
// and commits nothing.
func TestCommitRefusesOtherEnvs(t *testing.T) {
	root := lockTestRepo(t, false)
	gitDir := filepath.Join(root, ".git")
	if _, err := commitBuilt(t, root, map[string][]byte{"apps/dev/a.yaml": []byte("a\n"), "apps/test/a.yaml": []byte("a\n")}); err != nil {
		t.Fatal(err)
	}
	before := gitState(t, gitDir)
	_, err := commitBuilt(t, root, map[string][]byte{"apps/dev/a.yaml": []byte("a2\n"), "apps/test/a.yaml": []byte("a2\n")}, "dev") // test's edited by hand
	var input *InputError
	if !errors.As(err, &input) || !strings.Contains(err.Error(), "deploy/apps/test/a.yaml") {
		t.Errorf("Commit --env dev with test's file changed: %v", err)
	}
	if got := gitState(t, gitDir); !maps.Equal(got, before) {
		t.Errorf("HEAD, main or the index changed:\n%v\nwas:\n%v", got, before)
	}
}

// TestReflogsAsConfigured: a commit creates the reflogs of HEAD and of
// its branch unless core.logAllRefUpdates is false; then it keeps only
// those that exist (none, in a repository go-git made).
func TestReflogsAsConfigured(t *testing.T) {
	for _, setting := range []string{"", "true", "false", "off"} {
		t.Run("logAllRefUpdates="+setting, func(t *testing.T) {
			root := lockTestRepo(t, false)
			if setting != "" {
				repo, err := git.PlainOpen(root)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := repo.Config()
				if err != nil {
					t.Fatal(err)
				}
				cfg.Raw.Section("core").SetOption("logAllRefUpdates", setting)
				if err := repo.SetConfig(cfg); err != nil {
					t.Fatal(err)
				}
			}
			// An existing reflog is appended to whatever the setting.
			kept := filepath.Join(root, ".git", "logs", "HEAD")
			if err := os.MkdirAll(filepath.Dir(kept), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(kept, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := commitBuilt(t, root, map[string][]byte{"apps/dev/a.yaml": []byte("a\n")}); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(kept); err != nil || strings.Count(string(b), "\n") != 1 {
				t.Errorf("logs/HEAD: %q, %v; want one entry", b, err)
			}
			want := setting != "false" && setting != "off"
			for _, log := range []string{"logs/refs/heads/main"} {
				_, err := os.Stat(filepath.Join(root, ".git", filepath.FromSlash(log)))
				if got := err == nil; got != want {
					t.Errorf("%s exists: %v, want %v (%v)", log, got, want, err)
				}
			}
		})
	}
}
