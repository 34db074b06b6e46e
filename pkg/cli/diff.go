package cli

import (
	"fmt"
	"io"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/review"
)

func runDiff(e *env, args []string) int {
	fs := flagSet(e, "diff", "diff [-f FILE] [-o DIR] [--against REF] [--unified | --format text|markdown|json] [--policy FILE.cue]...")
	file := fs.StringP("file", "f", "environments.yaml", "the environments file (YAML, JSON or CUE)")
	root := fs.StringP("output", "o", ".", "root of the GitOps repository checkout; the tree is DIR/<gitops.path>")
	against := fs.String("against", "", "compare with the owned folder as committed at this Git revision (branch, tag, commit) of the repository holding DIR, not with the files on disk")
	unified := fs.Bool("unified", false, "print a plain unified diff of the files")
	output := fs.String("format", "text", "report format: text (one line per change), markdown (for a pull request comment) or json")
	color := colorFlag(fs)
	loadOpts := loadFlags(fs)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	switch *output {
	case "text", "markdown", "json":
	default:
		fmt.Fprintf(e.stderr, "apkgen diff: --format %q: want text, markdown or json\n", *output)
		return ExitInvalid
	}
	if *unified && *output != "text" {
		fmt.Fprintf(e.stderr, "apkgen diff: --unified and --format %s: choose one\n", *output)
		return ExitInvalid
	}
	useColor, err := e.color(*color)
	if err != nil {
		return report(e, err)
	}
	res, err := apkgen.Diff(apkgen.DiffOptions{File: *file, Root: *root, Against: *against, Load: loadOpts.get(e)})
	if err != nil {
		return report(e, err)
	}
	printDiags(e, res.File.Warnings)
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
