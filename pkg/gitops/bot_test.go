package gitops_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// actionlint checks .github/ and the workflow of docs/bot.md, which uses
// the bot's action: the example runs against the action of this
// repository, so its inputs are checked against action.yml.
//
// Install: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
func TestActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint is not on PATH (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)")
	}
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(self), "..", "..")
	lint := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-no-color"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("actionlint in %s: %v\n%s", dir, err, out)
		}
	}
	lint(repo)

	doc, err := os.ReadFile(filepath.Join(repo, "docs", "bot.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- apkgen-bot-example")
	if !ok {
		t.Fatal("docs/bot.md: the example workflow's marker is gone")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok || !strings.Contains(example, "apkgen/apkgen/.github/actions/apkgen-bot@") {
		t.Fatalf("docs/bot.md: no example workflow using the action after the marker:\n%s", example)
	}
	example = strings.Replace(example, "apkgen/apkgen/.github/actions/apkgen-bot@main", "./.github/actions/apkgen-bot", 1)

	project := t.TempDir()
	action, err := os.ReadFile(filepath.Join(repo, ".github", "actions", "apkgen-bot", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{
		".github/workflows/apkgen.yml":          []byte(example),
		".github/actions/apkgen-bot/action.yml": action,
	} {
		full := filepath.Join(project, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(project, ".git"), 0o755); err != nil { // actionlint's project root
		t.Fatal(err)
	}
	lint(project)
}

// The action's script, run as the runner would run it (RUNNER_TEMP,
// GITHUB_OUTPUT, the step's variables) against a file:// remote: it pushes,
// and its outputs are what the report says.
func TestActionScript(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed (GitHub's runners have it; Debian package jq)")
	}
	s := newSandbox(t)
	_, self, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", ".github", "actions", "apkgen-bot", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string            `yaml:"id"`
				Env map[string]string `yaml:"env"`
				Run string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatal(err)
	}
	var script string
	var names []string
	for _, st := range action.Runs.Steps {
		if st.ID == "build" {
			script = st.Run
			for k := range st.Env {
				names = append(names, k)
			}
		}
	}
	if script == "" {
		t.Fatal("action.yml: no step with id build")
	}

	temp := t.TempDir()
	if err := os.Symlink(apkgenBin(t), filepath.Join(temp, "apkgen")); err != nil {
		t.Fatal(err)
	}
	bare := s.bareRepo(t.TempDir(), "gitops", true)
	work := t.TempDir()
	example(t, work, "environments.yaml", "")
	output := filepath.Join(temp, "github-output")
	values := map[string]string{
		"ENVIRONMENTS_FILE": "environments.yaml",
		"REPOSITORY":        "file://" + bare,
		"BRANCH":            "apkgen/pr-7",
		"BASE":              "main",
		"ENVS":              "dev prod",
		"AUTHOR":            "apkgen-bot <bot@example.com>",
		"PUSH":              "true",
	}
	vars := []string{"RUNNER_TEMP=" + temp, "GITHUB_OUTPUT=" + output}
	for _, k := range names {
		vars = append(vars, k+"="+values[k]) // the credentials stay empty
	}
	cmd := bounded(t, "bash", "-c", script)
	cmd.Dir = work
	cmd.Env = s.with(vars...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the action's script: %v\n%s", err, out)
	}
	out, err := os.ReadFile(output)
	if err != nil {
		t.Fatal(err)
	}
	commit := s.git(bare, "rev-parse", "apkgen/pr-7")
	for _, want := range []string{"pushed=true\n", "commit=" + commit + "\n", "changed-environments=dev,prod,shared\n", `"branch": "apkgen/pr-7"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, out)
		}
	}
}
