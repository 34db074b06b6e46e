package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/apkgen/apkgen/examples"
	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/load"
)

func runInit(e *env, args []string) int {
	flags := flagSet(e, "init", "init --pattern ID [-f FILE] [--force]")
	pattern := flags.String("pattern", "", "the deployment `pattern`: "+strings.Join(knownPatterns(), ", "))
	file := flags.StringP("file", "f", "environments.yaml", "the starter `FILE` to write (- for standard output)")
	force := flags.Bool("force", false, "overwrite an existing file")
	if code, ok := parse(e, flags, args); !ok {
		return code
	}
	starter, err := examples.FS.ReadFile(*pattern + ".yaml")
	if *pattern == "" || err != nil {
		msg := "--pattern must be one of " + strings.Join(knownPatterns(), ", ")
		if hint := suggest.Hint(*pattern, knownPatterns()); hint != "" {
			msg += ";" + hint
		}
		return usageError(e, flags, "%s", msg)
	}
	// The examples point at the schema at the root of apkgen's repository;
	// a starter points at one beside it (apkgen schema --format json >
	// apkgen.schema.json, as the README says).
	starter = bytes.Replace(starter, []byte("$schema=../apkgen.schema.json"), []byte("$schema=apkgen.schema.json"), 1)
	if *file == "-" {
		e.stdout.Write(starter)
		return ExitOK
	}
	// apkgen reads a file by its extension (.json, .cue, else YAML): a
	// YAML starter under another name would not read back.
	if ext := strings.ToLower(filepath.Ext(*file)); ext == ".json" || ext == ".cue" {
		return usageError(e, flags, "the starter file is YAML: name it .yaml or .yml, not %s", ext)
	}
	if st, err := os.Stat(*file); err == nil && st.IsDir() || os.IsPathSeparator((*file)[len(*file)-1]) {
		return usageError(e, flags, "%s is a folder; give the starter file's path, e.g. -f %s", *file, filepath.Join(*file, "environments.yaml"))
	} else if err == nil && !*force {
		return usageError(e, flags, "%s exists; use --force to overwrite it", *file)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return initPathError(e, flags, *file, err)
	}
	// As build does for -o, the folders on the way are made.
	if err := os.MkdirAll(filepath.Dir(*file), 0o755); err != nil {
		return initPathError(e, flags, *file, err)
	}
	if err := os.WriteFile(*file, starter, 0o644); err != nil {
		return report(e, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (pattern %s); edit it, then run: apkgen build -f %s\n", *file, *pattern, *file)
	// The starter's editor comment names a schema beside it: say how to
	// make one, or the editor reports a missing schema instead of helping.
	schema := filepath.Join(filepath.Dir(*file), "apkgen.schema.json")
	if _, err := os.Stat(schema); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stdout, "for completion and checks in your editor: apkgen schema --format json > %s\n", schema)
	}
	return ExitOK
}

// initPathError reports why file cannot be written: a file where a folder
// of its path goes is a mistaken -f (exit 2), as it is for build's -o;
// anything else is the system's (exit 3).
func initPathError(e *env, flags *pflag.FlagSet, file string, err error) int {
	if errors.Is(err, syscall.ENOTDIR) {
		return usageError(e, flags, "%s: a file is in the way of its folder; choose another -f", file)
	}
	return report(e, err)
}

func knownPatterns() []string {
	return load.PatternIDs()
}
