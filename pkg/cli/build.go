package cli

import (
	"fmt"

	"github.com/apkgen/apkgen/pkg/apkgen"
)

func runBuild(e *env, args []string) int {
	fs := flagSet(e, "build", "build [-f FILE] [-o DIR] [--env NAME]... [--check]")
	file := fs.StringP("file", "f", "environments.yaml", "the environments file (YAML, JSON or CUE)")
	root := fs.StringP("output", "o", ".", "root of the GitOps repository checkout; the tree goes to DIR/<gitops.path>")
	envs := fs.StringArray("env", nil, "rebuild only this environment (repeatable); the others' files stay as they are")
	check := fs.Bool("check", false, "write nothing; exit 1 and show the differences when the folder on disk is not what a build would write")
	color := colorFlag(fs)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	opts := apkgen.BuildOptions{File: *file, Root: *root, Envs: *envs}
	if *check {
		useColor, err := e.color(*color)
		if err != nil {
			return report(e, err)
		}
		return runCheck(e, opts, useColor)
	}
	res, err := apkgen.Build(opts)
	if err != nil {
		return report(e, err)
	}
	c := res.Change
	if c.Empty() {
		return upToDate(e, res.Dir, res.Compiled)
	}
	fmt.Fprintf(e.stdout, "%s: %d added, %d modified, %d removed (%s)\n", res.Dir,
		len(c.Added), len(c.Modified), len(c.Removed), plural(len(res.Plan.Environments), "environment"))
	return ExitOK
}

// upToDate says that the owned folder is what a build writes.
func upToDate(e *env, dir string, c *apkgen.Compiled) int {
	fmt.Fprintf(e.stdout, "%s: up to date (%s)\n", dir, plural(len(c.Plan.Environments), "environment"))
	return ExitOK
}
