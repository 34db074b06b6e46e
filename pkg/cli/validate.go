package cli

import (
	"fmt"

	"github.com/apkgen/apkgen/pkg/load"
)

func runValidate(e *env, args []string) int {
	fs := flagSet(e, "validate", "validate [-f FILE|-] [--policy FILE.cue]... [--strict] [--no-cache] [-v]")
	opts := loadFlags(fs, true)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	lo := opts.get(e)
	lo.ClaimsOnly = true // validate writes nothing
	var f *load.File
	var err error
	if opts.file == "-" {
		f, err = load.Read(e.stdin, lo)
	} else {
		f, err = load.ReadFile(opts.file, lo)
	}
	if err != nil {
		return report(e, err)
	}
	printDiags(e, f.Warnings)
	opts.work(e, f, nil)
	fmt.Fprintf(e.stdout, "%s: valid (%s)\n", f.Name, plural(len(f.Envs), "environment"))
	return ExitOK
}
