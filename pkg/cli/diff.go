package cli

import (
	"io"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/review"
)

func runDiff(e *env, args []string) int {
	fs := flagSet(e, "diff", "diff [-f FILE] [-o DIR] [--against REF] [--unified | --format text|markdown|json] [--policy FILE.cue]... [--strict] [--no-cache] [-v] [--color auto|always|never]")
	root := fs.StringP("output", "o", ".", "root of the GitOps repository checkout; the tree is DIR/<gitops.path>")
	against := fs.String("against", "", "compare with the owned folder as committed at this Git revision (branch, tag, commit) of the repository holding DIR, not with the files on disk")
	unified := fs.Bool("unified", false, "print a plain unified diff of the files")
	output := fs.String("format", "text", "report format: text (one line per change), markdown (for a pull request comment) or json")
	color := colorFlag(fs)
	loadOpts := loadFlags(fs, false)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	if code, ok := checkFormat(e, fs, *output, "text", "markdown", "json"); !ok {
		return code
	}
	if *unified && *output != "text" {
		return usageError(e, fs, "--unified and --format %s: choose one", *output)
	}
	useColor, err := e.color(*color)
	if err != nil {
		return report(e, err)
	}
	res, err := apkgen.Diff(apkgen.DiffOptions{File: loadOpts.file, Root: *root, Against: *against, Load: loadOpts.get(e), Log: e.stderr})
	if err != nil {
		return report(e, err)
	}
	printDiags(e, res.File.Warnings)
	loadOpts.work(e, res.File, nil)
	switch {
	case *unified:
		io.WriteString(e.stdout, review.ColorUnified(res.Unified(), useColor))
	case *output == "markdown":
		err = review.WriteMarkdown(e.stdout, res.Report)
	case *output == "json":
		err = review.WriteJSON(e.stdout, res.Report)
	default:
		err = review.WriteText(e.stdout, res.Report, useColor)
	}
	if err != nil {
		return report(e, err)
	}
	if res.Report.Empty() {
		return ExitOK
	}
	return ExitDifferences
}
