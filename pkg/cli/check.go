package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/generate"
	"github.com/apkgen/apkgen/pkg/review"
)

// runCheck is build --check: exit 0 when the owned folder is what a build
// would write; else exit 1 with the list of files and a unified diff.
func runCheck(e *env, lo *loadOptions, opts apkgen.BuildOptions, color bool) int {
	res, err := apkgen.Check(opts)
	if err != nil {
		return report(e, err)
	}
	printDiags(e, res.File.Warnings)
	lo.work(e, res.File, nil) // a check builds no kustomize folder
	d := res.Drift
	if d.Empty() {
		return upToDate(e, res.Dir, envScope(res.Compiled, opts.Envs, "checked"))
	}
	entries := d.Entries()
	fmt.Fprintf(e.stdout, "%s: not what a build would write (%s):\n", res.Dir, plural(len(entries), "file"))
	for _, en := range entries {
		fmt.Fprintf(e.stdout, "  %-9s  %s/%s\n", en.Kind, res.Root, en.Path)
	}
	if opts.Render == nil && slices.ContainsFunc(d.Stale, func(p string) bool {
		return strings.HasPrefix(p, generate.RenderedDir+"/")
	}) {
		// A plain build would remove the rendered releases a build
		// --render wrote: that is not the fix wanted.
		fmt.Fprintf(e.stdout, "The folder holds rendered releases (%s/): check it with \"apkgen build --check --render\", "+
			"and update it with \"apkgen build --render\" (a build without --render removes them).", generate.RenderedDir)
	} else {
		fmt.Fprintf(e.stdout, "Run \"apkgen build\" to update it.")
	}
	if len(d.Untracked) > 0 {
		fmt.Fprintf(e.stdout, " It removes untracked files: apkgen owns every file in %s/ but clusters/*/flux-system,"+
			" so keep yours outside it.", res.Root)
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout)
	io.WriteString(e.stdout, review.ColorUnified(res.Unified(), color))
	return ExitDifferences
}
