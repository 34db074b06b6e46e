package cli

import (
	"fmt"
	"slices"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/gitops"
	"github.com/apkgen/apkgen/pkg/tree"
)

const buildSynopsis = `build [-f FILE] [-o DIR] [--env NAME]... [--policy FILE.cue]... [--strict] [--no-cache] [-v]
                    [--check] [--format text|json] [--color auto|always|never]
                    [--render [--chart-dir DIR] [--plain-http]]
                    [--commit [--push [--branch B]]] [--author "Name <email>"] [--committer "Name <email>"] [--sign-key FILE]
                    [--repo URL --branch B [--base BRANCH] [--push]]`

func runBuild(e *env, args []string) int {
	fs := flagSet(e, "build", buildSynopsis)
	root := fs.StringP("output", "o", ".", "root of the GitOps repository checkout; the tree goes to DIR/<gitops.path>")
	envs := fs.StringArray("env", nil, "rebuild only this environment (repeatable); the others' files stay as they are")
	loadOpts := loadFlags(fs, false)
	hydrate := fs.Bool("render", false, "also write every release as rendered, under rendered/<env>/<key>/, key apk, agent or apim (pulls the charts)")
	ropts := renderFlags(fs)
	check := fs.Bool("check", false, "write nothing; exit 1 and show the differences when the folder on disk is not what a build would write")
	color := colorFlag(fs)
	format := fs.String("format", "text", "the report: text, or json {changedEnvironments, added, modified, removed, commit, branch, localBranch, pushed, behind}")
	var g gitFlags
	g.register(fs)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	if code, ok := checkFormat(e, fs, *format, "text", "json"); !ok {
		return code
	}
	if msg := g.check(fs); msg != "" {
		return usageError(e, fs, "%s", msg)
	}
	opts := apkgen.BuildOptions{File: loadOpts.file, Root: *root, Envs: *envs, Log: e.stderr}
	if *hydrate {
		opts.Render = ropts
	} else if ropts.ChartDir != "" || ropts.PlainHTTP {
		return usageError(e, fs, "--chart-dir and --plain-http go with --render")
	}
	useColor, err := e.color(*color)
	if err != nil {
		return report(e, err)
	}
	if *check {
		if g.committing() {
			return usageError(e, fs, "--check writes nothing; it cannot be combined with --commit, --push or --repo")
		}
		if *format != "text" {
			return usageError(e, fs, "--check prints text; --format json goes with a build")
		}
	}
	// Only once every flag is known good: opening the cache creates it.
	opts.Load = loadOpts.get(e)
	if *check {
		return runCheck(e, loadOpts, opts, useColor)
	}
	if g.committing() {
		return g.run(e, loadOpts, opts, *format == "json")
	}
	res, err := apkgen.Build(opts)
	if err != nil {
		return report(e, err)
	}
	printDiags(e, res.File.Warnings)
	loadOpts.work(e, res.File, &res.Verified)
	c := res.Change
	if *format == "json" {
		return printJSON(e, gitops.ChangeReport(res.Plan.GitOps.Path, c.Added, c.Modified, c.Removed))
	}
	scope := envScope(res.Compiled, *envs, "rebuilt")
	if c.Empty() {
		return upToDate(e, res.Dir, scope)
	}
	fmt.Fprintf(e.stdout, "%s: %s (%s)\n", res.Dir, tree.Counts(len(c.Added), len(c.Modified), len(c.Removed)), scope)
	return ExitOK
}

// envScope says which environments a run covered: all of the file's, or
// (--env) so many of them, done.
func envScope(c *apkgen.Compiled, envs []string, done string) string {
	all := plural(len(c.Plan.Environments), "environment")
	if len(envs) == 0 {
		return all
	}
	return fmt.Sprintf("%d of %s %s", len(slices.Compact(slices.Sorted(slices.Values(envs)))), all, done)
}

// upToDate says that the owned folder is what a build writes.
func upToDate(e *env, dir, scope string) int {
	fmt.Fprintf(e.stdout, "%s: up to date (%s)\n", dir, scope)
	return ExitOK
}
