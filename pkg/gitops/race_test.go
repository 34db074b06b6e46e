package gitops_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Four bots, four inputs, one branch, at the same time: every bot ends with
// exit 0, no commit is lost (the losers rebuild on the winner's commit), the
// branch holds the tree of the last push, and the remote is sound.
func TestPublishRace(t *testing.T) {
	s := newSandbox(t)
	_, bare, srv := s.served()
	url := srv.URL + "/gitops.git"
	const bots = 4
	const branch = "apkgen/race"

	inputs := make([]string, bots)
	cmds := make([]*exec.Cmd, bots)
	outs := make([]*bytes.Buffer, bots)
	errs := make([]*bytes.Buffer, bots)
	for i := range bots {
		inputs[i] = example(t, t.TempDir(), "environments.yaml", fmt.Sprintf("bot%d", i))
		cmd := bounded(t, apkgenBin(t), "build", "-f", inputs[i], "--repo", url, "--branch", branch,
			"--push", botID, "--format", "json")
		cmd.Dir = t.TempDir()
		cmd.Env = s.with("APKGEN_GIT_TOKEN=" + token)
		outs[i], errs[i] = &bytes.Buffer{}, &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], errs[i]
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	byCommit := map[string]int{}
	for i, cmd := range cmds {
		err := cmd.Wait()
		r := run{stdout: outs[i].String(), stderr: errs[i].String()}
		if err != nil {
			t.Fatalf("bot %d: %v\n%s", i, err, r)
		}
		if strings.Contains(r.stdout+r.stderr, token) {
			t.Errorf("bot %d printed the token", i)
		}
		t.Logf("bot %d: %s", i, strings.TrimSpace(r.stderr))
		res := r.result(t)
		if res.Commit == "" {
			// Every input differs from every other: whichever bot pushed
			// before, each has a change to commit on top.
			t.Errorf("bot %d made no commit", i)
			continue
		}
		if !res.Pushed {
			t.Errorf("bot %d committed %s but did not push it", i, res.Commit)
		}
		byCommit[res.Commit] = i
	}

	if len(byCommit) != bots {
		t.Errorf("%d distinct commits from %d bots", len(byCommit), bots)
	}
	s.git(bare, "fsck", "--strict", "--no-dangling")
	// Every pushed commit is on the branch, each with its bot's input.
	for c, i := range byCommit {
		if _, err := s.gitErr(bare, "merge-base", "--is-ancestor", c, branch); err != nil {
			t.Errorf("bot %d's commit %s is not on %s: lost", i, c, branch)
		}
		got := s.git(bare, "log", "-1", "--format=%(trailers:key=Apkgen-Input-SHA256,valueonly)", c)
		if got != sha256File(t, inputs[i]) {
			t.Errorf("bot %d's commit carries the input hash %s", i, got)
		}
	}
	if got, want := s.git(bare, "rev-list", "--count", "main.."+branch), fmt.Sprint(len(byCommit)); got != want {
		t.Errorf("%s commits on the branch, want %s (one per push)", got, want)
	}
	// The branch's tree is the last push's: its input rebuilds it unchanged.
	tip := s.git(bare, "rev-parse", branch)
	last, ok := byCommit[tip]
	if !ok {
		t.Fatalf("the branch's head %s is no bot's commit", tip)
	}
	clone := t.TempDir()
	s.git(clone, "clone", "--quiet", "-b", branch, bare, ".")
	if r := s.apkgen(clone, nil, "build", "-f", inputs[last]); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("the branch does not hold bot %d's tree: %s", last, r)
	}
}
