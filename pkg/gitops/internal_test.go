package gitops

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Get "https://x-access-token:ghp_abc@github.com/a/b.git/info/refs": 401`, `Get "https://***@github.com/a/b.git/info/refs": 401`},
		{"https://ghp_abc@github.com/a/b.git", "https://***@github.com/a/b.git"},
		{"ssh://git@example.com/a.git and http://u:p@h/x", "ssh://***@example.com/a.git and http://***@h/x"},
		{"git@github.com:a/b.git", "git@github.com:a/b.git"},
		{"token ghp_abc in text", "token *** in text"},
	} {
		if got := Redact(tc.in, "ghp_abc"); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	err := secrets{"hunter22"}.wrap(errors.New("auth hunter22 refused at https://u:hunter22@h/r\n"), "pushing")
	if got := err.Error(); got != "pushing: auth *** refused at https://***@h/r" {
		t.Errorf("wrap: %q", got)
	}
}

func TestIdentities(t *testing.T) {
	env := func(vars map[string]string) Getenv { return func(k string) string { return vars[k] } }
	cfg := config.NewConfig()
	cfg.User.Name, cfg.User.Email = "Config", "config@example.com"
	for _, tc := range []struct {
		name              string
		author, committer string
		env               map[string]string
		cfg               *config.Config
		want              string // author|committer, or an error's text
	}{
		{"flags", "A <a@x>", "C <c@x>", nil, cfg, "A <a@x>|C <c@x>"},
		{"flag then config", "A <a@x>", "", nil, cfg, "A <a@x>|Config <config@example.com>"},
		{"environment", "", "", map[string]string{"GIT_AUTHOR_NAME": "E", "GIT_AUTHOR_EMAIL": "e@x"}, cfg, "E <e@x>|Config <config@example.com>"},
		{"config", "", "", nil, cfg, "Config <config@example.com>|Config <config@example.com>"},
		{"author only", "A <a@x>", "", nil, nil, "A <a@x>|A <a@x>"},
		{"committer only", "", "", map[string]string{"GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@x"}, nil, "C <c@x>|C <c@x>"},
		{"none", "", "", nil, nil, "no identity"},
		{"bad flag", "just a name", "", nil, cfg, "Name <email>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, c, err := resolveIdentities(tc.author, tc.committer, fromConfig(env(tc.env), tc.cfg))
			got := a.String() + "|" + c.String()
			if err != nil {
				var in *InputError
				if !errors.As(err, &in) {
					t.Errorf("%v is not an InputError", err)
				}
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// git's reason for having no identity is part of the message.
func TestIdentitiesWhy(t *testing.T) {
	none := func(string) (Identity, string) { return Identity{}, "fatal: bad config line 1" }
	if _, _, err := resolveIdentities("", "", none); err == nil || !strings.Contains(err.Error(), "(fatal: bad config line 1)") {
		t.Errorf("got %v", err)
	}
}

func TestAuth(t *testing.T) {
	env := func(vars map[string]string) Getenv { return func(k string) string { return vars[k] } }
	a, sec, err := Auth("https://github.com/a/b.git", env(map[string]string{"GITHUB_TOKEN": "gh-token", "APKGEN_GIT_TOKEN": "apk-token"}))
	if b, ok := a.(*http.BasicAuth); err != nil || !ok || b.Username != "x-access-token" || b.Password != "apk-token" || !slices.Contains(sec, "apk-token") {
		t.Errorf("APKGEN_GIT_TOKEN first: %v %v %v", a, sec, err)
	}
	a, _, _ = Auth("https://github.com/a/b.git", env(map[string]string{"GITHUB_TOKEN": "gh-token", "APKGEN_GIT_USERNAME": "bot"}))
	if b, ok := a.(*http.BasicAuth); !ok || b.Username != "bot" || b.Password != "gh-token" {
		t.Errorf("GITHUB_TOKEN and APKGEN_GIT_USERNAME: %v", a)
	}
	a, sec, _ = Auth("https://user:p%40ss-word@host/r.git", env(map[string]string{"GITHUB_TOKEN": "gh-token"}))
	if b, ok := a.(*http.BasicAuth); !ok || b.Username != "user" || b.Password != "p@ss-word" || !slices.Contains(sec, "p@ss-word") || !slices.Contains(sec, "p%40ss-word") {
		t.Errorf("credentials in the URL win and are secret: %v %v", a, sec)
	}
	if a, _, _ = Auth("file:///srv/git/r.git", env(map[string]string{"GITHUB_TOKEN": "gh-token"})); a != nil {
		t.Errorf("file:// needs no credentials: %v", a)
	}
	if _, _, err := Auth("ssh://git@host/r.git", env(map[string]string{"APKGEN_GIT_SSH_KEY": "/nonexistent/key"})); err == nil {
		t.Error("a missing ssh key file is not reported")
	}
}

func TestPickSource(t *testing.T) {
	h1 := plumbing.NewHash("1111111111111111111111111111111111111111")
	h2 := plumbing.NewHash("2222222222222222222222222222222222222222")
	refs := []*plumbing.Reference{
		plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/trunk"),
		plumbing.NewHashReference("refs/heads/trunk", h1),
		plumbing.NewHashReference("refs/heads/bot", h2),
		plumbing.NewHashReference("refs/heads/release", h1),
	}
	for _, tc := range []struct {
		branch, base string
		refs         []*plumbing.Reference
		src          string
		expected     plumbing.Hash
		err          string
	}{
		{"bot", "", refs, "refs/heads/bot", h2, ""},
		{"bot", "release", refs, "refs/heads/bot", h2, ""},
		{"new", "", refs, "refs/heads/trunk", plumbing.ZeroHash, ""},
		{"new", "release", refs, "refs/heads/release", plumbing.ZeroHash, ""},
		{"new", "nope", refs, "", plumbing.ZeroHash, "--base nope"},
		{"new", "", nil, "", plumbing.ZeroHash, ""},
		{"new", "", refs[1:], "", plumbing.ZeroHash, "pass --base"},
		{"new", "", append([]*plumbing.Reference{plumbing.NewHashReference(plumbing.HEAD, h2)}, refs[1:]...), "refs/heads/bot", plumbing.ZeroHash, ""},
	} {
		src, expected, err := pickSource(tc.refs, plumbing.NewBranchReferenceName(tc.branch), tc.base, "remote")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s from %s: want an error with %q, got %v", tc.branch, tc.base, tc.err, err)
			}
			continue
		}
		if err != nil || string(src) != tc.src || expected != tc.expected {
			t.Errorf("%s from %q: got %s %s %v, want %s %s", tc.branch, tc.base, src, expected, err, tc.src, tc.expected)
		}
	}
}

// Trees are in git's order: a folder sorts as if its name ended in "/".
func TestTreeOrder(t *testing.T) {
	st := memory.NewStorage()
	blob := plumbing.ComputeHash(plumbing.BlobObject, []byte("x"))
	if err := storeBlob(st, []byte("x"), blob); err != nil {
		t.Fatal(err)
	}
	f := entry{mode: filemode.Regular, hash: blob}
	h, err := writeTree(st, map[string]entry{"a/x": f, "a.yaml": f, "a-b": f, "b": f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := object.GetTree(st, h)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range tree.Entries {
		names = append(names, e.Name)
	}
	if want := []string{"a-b", "a.yaml", "a", "b"}; !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
}

func TestChangeReport(t *testing.T) {
	r := ChangeReport("deploy", []string{"apps/dev/a.yaml", ".apkgen"}, nil, []string{"clusters/c/apps-prod.yaml"})
	if !slices.Equal(r.ChangedEnvironments, []string{"dev", "prod", "shared"}) ||
		!slices.Equal(r.Added, []string{"deploy/.apkgen", "deploy/apps/dev/a.yaml"}) ||
		r.Modified == nil || !slices.Equal(r.Removed, []string{"deploy/clusters/c/apps-prod.yaml"}) {
		t.Errorf("%+v", r)
	}
}

// TestFinishReadme: the README's change follows the environments'; alone
// (a hand edit put back), it is a change of the shared files.
func TestFinishReadme(t *testing.T) {
	for _, tc := range []struct {
		modified []string
		want     []string
	}{
		{[]string{"README.md", "apps/dev/kustomization.yaml"}, []string{"dev"}},
		{[]string{"README.md"}, []string{"shared"}},
	} {
		res := finish(&Result{Modified: tc.modified}, "deploy")
		if !slices.Equal(res.ChangedEnvironments, tc.want) {
			t.Errorf("%v: changed %v, want %v", tc.modified, res.ChangedEnvironments, tc.want)
		}
	}
}

// TestOnlyEnvs: a --env commit may change the named environments' files
// and the shared ones; another environment's file or the README HEAD has,
// changed, added or removed, is refused.
func TestOnlyEnvs(t *testing.T) {
	blob := func(s string) entry {
		return entry{mode: filemode.Regular, hash: plumbing.ComputeHash(plumbing.BlobObject, []byte(s))}
	}
	head := map[string]entry{"apps/dev/a.yaml": blob("a"), "apps/test/a.yaml": blob("a"), "apps/base/b.yaml": blob("b"), "README.md": blob("r")}
	tree := func(changes map[string]string) map[string][]byte {
		t := map[string][]byte{"apps/dev/a.yaml": []byte("a"), "apps/test/a.yaml": []byte("a"), "apps/base/b.yaml": []byte("b"), "README.md": []byte("r")}
		for p, s := range changes {
			if s == "" {
				delete(t, p)
			} else {
				t[p] = []byte(s)
			}
		}
		return t
	}
	for _, tc := range []struct {
		name    string
		head    map[string]entry
		changes map[string]string
		want    string // in the error; "" for none
	}{
		{"the named environment and shared files", head, map[string]string{"apps/dev/a.yaml": "a2", "apps/dev/new.yaml": "n", "apps/base/b.yaml": "b2"}, ""},
		{"another environment's file changed", head, map[string]string{"apps/test/a.yaml": "a2"}, "deploy/apps/test/a.yaml"},
		{"another environment's file added", head, map[string]string{"clusters/c/apps-test.yaml": "k"}, "deploy/clusters/c/apps-test.yaml"},
		{"another environment's file removed", head, map[string]string{"apps/test/a.yaml": ""}, "deploy/apps/test/a.yaml"},
		{"the README changed", head, map[string]string{"README.md": "r2"}, "deploy/README.md"},
		{"a first README", map[string]entry{}, map[string]string{"apps/test/a.yaml": "", "README.md": "r2"}, ""},
	} {
		err := diffHead(tc.head, tree(tc.changes)).onlyEnvs([]string{"dev"}, "deploy")
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := diffHead(head, tree(map[string]string{"apps/test/a.yaml": "a2"})).onlyEnvs(nil, "deploy"); err != nil {
		t.Errorf("a build of every environment: %v", err)
	}
}

// TestDiffHead: what a commit of the build changes, as Check (for --env)
// and Commit both see it. A file whose mode alone differs from HEAD's (an
// executable, a symbolic link) is modified: the build writes regular
// files. HEAD's flux-system folders are not the build's to remove.
func TestDiffHead(t *testing.T) {
	hash := func(s string) plumbing.Hash { return plumbing.ComputeHash(plumbing.BlobObject, []byte(s)) }
	head := map[string]entry{
		"same.yaml":                   {mode: filemode.Regular, hash: hash("same")},
		"edited.yaml":                 {mode: filemode.Regular, hash: hash("old")},
		"script.sh":                   {mode: filemode.Executable, hash: hash("run")},
		"link.yaml":                   {mode: filemode.Symlink, hash: hash("same.yaml")},
		"gone.yaml":                   {mode: filemode.Regular, hash: hash("gone")},
		"clusters/c/flux-system":      {mode: filemode.Dir, hash: hash("flux")},
		"clusters/c/apps-dev.yaml":    {mode: filemode.Regular, hash: hash("dev")},
		"clusters/c/apps-gone.yaml":   {mode: filemode.Regular, hash: hash("gone")},
		"apps/base/kustomization.yml": {mode: filemode.Regular, hash: hash("base")},
	}
	files := map[string][]byte{
		"same.yaml":                   []byte("same"),
		"edited.yaml":                 []byte("new"),
		"script.sh":                   []byte("run"),
		"link.yaml":                   []byte("same.yaml"),
		"new.yaml":                    []byte("new"),
		"clusters/c/apps-dev.yaml":    []byte("dev"),
		"apps/base/kustomization.yml": []byte("base"),
	}
	d := diffHead(head, files)
	for _, tc := range []struct {
		name      string
		got, want []string
	}{
		{"added", d.added, []string{"new.yaml"}},
		{"modified", d.modified, []string{"edited.yaml", "link.yaml", "script.sh"}},
		{"removed", d.removed, []string{"clusters/c/apps-gone.yaml", "gone.yaml"}},
	} {
		slices.Sort(tc.got)
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
