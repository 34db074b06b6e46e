package cli

import (
	"fmt"

	"github.com/apkgen/apkgen/pkg/load"
)

func runValidate(e *env, args []string) int {
	fs := flagSet(e, "validate", "validate [-f FILE]")
	file := fs.StringP("file", "f", "environments.yaml", "the environments file (YAML, JSON or CUE)")
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	f, err := load.ReadFile(*file, load.Options{})
	if err != nil {
		return report(e, err)
	}
	fmt.Fprintf(e.stdout, "%s: valid (%s)\n", f.Name, plural(len(f.Envs), "environment"))
	return ExitOK
}
