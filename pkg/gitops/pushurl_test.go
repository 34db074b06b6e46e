package gitops

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPushURL: the URL a push goes to is the one git would push to (git
// remote get-url --push says which), from the remote's configuration as
// the git CLI writes it: its pushurl when it has one, wherever that is in
// the section, else its url; rewritten by url.<base>.pushInsteadOf or
// insteadOf, of the repository's configuration or the user's; a relative
// path from the working tree's root. Several push URLs, of either kind,
// are refused.
func TestPushURL(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the remotes are configured with the git CLI")
	}
	for _, tc := range []struct {
		name    string
		setup   [][]string // git commands, after git remote add origin /srv/fetch.git
		want    string     // the URL
		wantErr string     // or the error's text
	}{
		{"url", nil, "/srv/fetch.git", ""},
		{"url and pushurl", [][]string{
			{"remote", "set-url", "--push", "origin", "/srv/push.git"},
		}, "/srv/push.git", ""},
		{"pushurl before url", [][]string{
			{"config", "--unset", "remote.origin.url"},
			{"remote", "set-url", "--push", "origin", "/srv/push.git"},
			{"config", "--add", "remote.origin.url", "/srv/fetch.git"},
		}, "/srv/push.git", ""},
		{"two urls", [][]string{
			{"remote", "set-url", "--add", "origin", "/srv/fetch2.git"},
		}, "", "remote \"origin\" has 2 push URLs (/srv/fetch.git, /srv/fetch2.git)"},
		{"two urls and a pushurl", [][]string{
			{"remote", "set-url", "--add", "origin", "/srv/fetch2.git"},
			{"remote", "set-url", "--push", "origin", "/srv/push.git"},
		}, "/srv/push.git", ""},
		{"two pushurls", [][]string{
			{"remote", "set-url", "--add", "--push", "origin", "/srv/push.git"},
			{"remote", "set-url", "--add", "--push", "origin", "/srv/push2.git"},
		}, "", "remote \"origin\" has 2 push URLs (/srv/push.git, /srv/push2.git)"},
		{"pushurl rewritten by insteadOf", [][]string{
			{"remote", "set-url", "--push", "origin", "mirror:push.git"},
			{"config", "url./srv/mirror/.insteadOf", "mirror:"},
		}, "/srv/mirror/push.git", ""},
		{"url rewritten by pushInsteadOf", [][]string{
			{"config", "url.ssh://git@push.invalid/.pushInsteadOf", "/srv/"},
			{"config", "url.ssh://git@fetch.invalid/.insteadOf", "/srv/"},
		}, "ssh://git@push.invalid/fetch.git", ""},
		{"two urls, one rewritten by pushInsteadOf", [][]string{
			{"remote", "set-url", "--add", "origin", "https://other.invalid/x.git"},
			{"config", "url.ssh://git@push.invalid/.pushInsteadOf", "/srv/"},
		}, "ssh://git@push.invalid/fetch.git", ""},
		{"a pushInsteadOf that does not match", [][]string{
			{"config", "url.ssh://git@push.invalid/.pushInsteadOf", "https://other.invalid/"},
		}, "/srv/fetch.git", ""},
		{"pushurl not rewritten by pushInsteadOf", [][]string{
			{"remote", "set-url", "--push", "origin", "/srv/push.git"},
			{"config", "url.ssh://git@push.invalid/.pushInsteadOf", "/srv/"},
		}, "/srv/push.git", ""},
		{"the second insteadOf of a section", [][]string{
			{"remote", "set-url", "origin", "x:fetch.git"},
			{"config", "--add", "url./srv/mirror/.insteadOf", "x:"},
			{"config", "--add", "url./srv/mirror/.insteadOf", "y:"},
		}, "/srv/mirror/fetch.git", ""},
		{"the longest insteadOf", [][]string{
			{"config", "url./srv/short/.insteadOf", "/srv/"},
			{"config", "url./srv/long.insteadOf", "/srv/fetch"},
		}, "/srv/long.git", ""},
		{"the user's insteadOf", [][]string{
			{"config", "--global", "url./srv/mirror/.insteadOf", "/srv/"},
		}, "/srv/mirror/fetch.git", ""},
		{"the user's rule over the repository's, for one prefix", [][]string{
			{"config", "--global", "url./srv/user/.insteadOf", "/srv/"},
			{"config", "url./srv/repo/.insteadOf", "/srv/"},
		}, "/srv/user/fetch.git", ""},
		{"no url", [][]string{
			{"config", "--unset", "remote.origin.url"},
		}, "", "remote \"origin\" has no url"},
		{"relative path", [][]string{
			{"remote", "set-url", "--push", "origin", "../push.git"},
		}, "ROOT/../push.git", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, home := t.TempDir(), t.TempDir()
			// apkgen and the git CLI read the same user's configuration.
			t.Setenv("HOME", home)
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			git := func(args ...string) string {
				t.Helper()
				cmd := exec.Command("git", args...)
				cmd.Dir = root
				// Nothing of the caller's git environment (GIT_DIR in a hook,
				// GIT_CONFIG_GLOBAL): the same configuration go-git reads.
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
					"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM=1"}
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return strings.TrimSpace(string(out))
			}
			git("init", "--quiet")
			git("remote", "add", "origin", "/srv/fetch.git")
			for _, args := range tc.setup {
				git(args...)
			}
			co, err := Open(root, botOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			url, err := co.pushURL("origin")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got %q, %v; want the error %q", url, err, tc.wantErr)
				}
				return
			}
			want := tc.want
			if rel, ok := strings.CutPrefix(want, "ROOT"); ok {
				want = filepath.Join(co.Root(), rel)
			}
			if err != nil || url != want {
				t.Errorf("got %q, %v; want %q", url, err, want)
			}
			if gits := git("remote", "get-url", "--push", "--all", "origin"); !strings.HasPrefix(tc.want, "ROOT") && gits != url {
				t.Errorf("got %q; git pushes to %q", url, gits)
			}
		})
	}
}
