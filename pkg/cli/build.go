package cli

import (
	"fmt"

	"github.com/apkgen/apkgen/pkg/apkgen"
)

func runBuild(e *env, args []string) int {
	fs := flagSet(e, "build", "build [-f FILE] [-o DIR] [--env NAME]... [--render [--chart-dir DIR]] [--policy FILE.cue]... [--strict]")
	file := fs.StringP("file", "f", "environments.yaml", "the environments file (YAML, JSON or CUE)")
	root := fs.StringP("output", "o", ".", "root of the GitOps repository checkout; the tree goes to DIR/<gitops.path>")
	envs := fs.StringArray("env", nil, "rebuild only this environment (repeatable); the others' files stay as they are")
	hydrate := fs.Bool("render", false, "also write every release as rendered, under rendered/<env>/<release>/ (pulls the charts)")
	ropts := renderFlags(fs)
	opts := loadFlags(fs)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	o := apkgen.BuildOptions{File: *file, Root: *root, Envs: *envs, Load: *opts}
	if *hydrate {
		o.Render = ropts
	} else if ropts.ChartDir != "" || ropts.PlainHTTP {
		fmt.Fprintln(e.stderr, "apkgen build: --chart-dir and --plain-http go with --render")
		return ExitInvalid
	}
	res, err := apkgen.Build(o)
	if err != nil {
		return reportRender(e, err)
	}
	printDiags(e, res.File.Warnings)
	c := res.Change
	if c.Empty() {
		fmt.Fprintf(e.stdout, "%s: up to date (%s)\n", res.Dir, plural(len(res.Plan.Environments), "environment"))
		return ExitOK
	}
	fmt.Fprintf(e.stdout, "%s: %d added, %d modified, %d removed (%s)\n", res.Dir,
		len(c.Added), len(c.Modified), len(c.Removed), plural(len(res.Plan.Environments), "environment"))
	return ExitOK
}
