package gitops

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPushURL: the URL a push goes to is the one git would push to, from
// the remote's configuration as the git CLI writes it: its pushurl when it
// has one, wherever that is in the section, else its url; rewritten by
// url.<base>.insteadOf; a relative path from the working tree's root.
// Several push URLs, of either kind, are refused.
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
		{"no url", [][]string{
			{"config", "--unset", "remote.origin.url"},
		}, "", "remote \"origin\" has no url"},
		{"relative path", [][]string{
			{"remote", "set-url", "--push", "origin", "../push.git"},
		}, "ROOT/../push.git", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			git := func(args ...string) {
				t.Helper()
				cmd := exec.Command("git", args...)
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
				}
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
			if want := filepath.Clean(strings.Replace(tc.want, "ROOT", co.Root(), 1)); err != nil || url != want {
				t.Errorf("got %q, %v; want %q", url, err, want)
			}
		})
	}
}
