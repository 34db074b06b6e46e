// Package cli is the apkgen command line: one file per command, each a thin
// layer over package apkgen. Main returns the exit code:
//
//	0 success
//	1 differences found (build --check, diff)
//	2 invalid input or usage
//	3 any other failure (I/O, git, network, or a bug in apkgen)
package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/gitops"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/verify"
	"github.com/apkgen/apkgen/pkg/write"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitDifferences = 1
	ExitInvalid     = 2
	ExitFailure     = 3
)

// env carries what a command may touch: its output streams, and the
// cache once a command opens it.
type env struct {
	stdin          io.Reader // validate -f -
	stdout, stderr io.Writer
	cache          *buildcache.Cache
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

func commands() []command {
	return []command{
		{"build", "generate the GitOps tree from the environments file", runBuild},
		{"validate", "check the environments file; write nothing", runValidate},
		{"diff", "say what a build would change, per environment; write nothing", runDiff},
		{"verify", "render every release and check what it renders", runVerify},
		{"init", "write a commented starter environments file for a pattern", runInit},
		{"schema", "print the schema, as CUE or as JSON Schema for editors", runSchema},
		{"version", "print apkgen's version and the chart versions it pins", runVersion},
	}
}

// Main runs apkgen with args (without the program name).
func Main(args []string, stdout, stderr io.Writer) int {
	return MainStdin(args, strings.NewReader(""), stdout, stderr)
}

// MainStdin is Main with a standard input (`validate -f -`); Main's is
// empty.
func MainStdin(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return ExitInvalid
	}
	switch args[0] {
	case "help":
		// `apkgen help build` is `apkgen build --help`; `apkgen help
		// --help` and `apkgen help help` are help.
		if len(args) > 1 && args[1] != "-h" && args[1] != "--help" && args[1] != "help" {
			args = []string{args[1], "--help"}
			break
		}
		usage(stdout)
		return ExitOK
	case "-h", "--help":
		usage(stdout)
		return ExitOK
	case "--version":
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			code := c.run(e, args[1:])
			e.cache.Flush() // the stores the command left running
			return code
		}
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	fmt.Fprintf(stderr, "apkgen: unknown command %q;%s run 'apkgen help' for the commands\n", args[0], suggest.Hint(args[0], append(names, "help")))
	return ExitInvalid
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "apkgen compiles an environments file into a GitOps tree for WSO2 APK.")
	fmt.Fprintln(w, "\nUsage: apkgen <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'apkgen help <command>' (or 'apkgen <command> --help') for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 differences found (build --check, diff) or a finding (verify), 2 invalid input or usage, 3 other failure.")
}

// flagSet makes a command's flag set; parse errors are usage errors. The
// usage goes to stderr after a mistake, to stdout when asked for.
func flagSet(e *env, name, synopsis string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.BoolP("help", "h", false, "show this help")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: apkgen %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// usageError reports a mistaken use of the command fs parsed (exit 2).
func usageError(e *env, fs *pflag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "apkgen %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	return ExitInvalid
}

// checkFormat checks a --format value against the formats the command
// writes; it returns an exit code when the value is not one of them.
func checkFormat(e *env, fs *pflag.FlagSet, value string, formats ...string) (int, bool) {
	if slices.Contains(formats, value) {
		return 0, true
	}
	want := strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
	return usageError(e, fs, "--format %q: want %s", value, want), false
}

// parse parses flags; it returns an exit code when the command must stop.
func parse(e *env, fs *pflag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(e.stderr, "apkgen %s: %v; run 'apkgen %s --help' for its flags\n", fs.Name(), err, fs.Name())
		return ExitInvalid, false
	}
	if help, _ := fs.GetBool("help"); help {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return ExitOK, false
	}
	if fs.NArg() > 0 {
		return usageError(e, fs, "unexpected argument %q", fs.Arg(0)), false
	}
	// An empty path (an unset variable in a script) would mean the current
	// folder, or no file at all.
	for _, f := range []struct{ name, want string }{
		{"file", "a path"}, {"output", "a path"}, {"chart-dir", "a path"}, {"sign-key", "a path"},
		{"against", "a revision"}, {"repo", "a URL"},
	} {
		if flag := fs.Lookup(f.name); flag != nil && flag.Changed && flag.Value.String() == "" {
			return usageError(e, fs, "--%s is empty; give %s", f.name, f.want), false
		}
	}
	// "-" reads standard input as -f; as the folder to write, it would
	// make a folder named "-".
	if f := fs.Lookup("output"); f != nil && f.Changed && f.Value.String() == "-" {
		return usageError(e, fs, "--output is -: apkgen writes a folder, not standard output; give a path (diff shows what a build would change)"), false
	}
	if f := fs.Lookup("policy"); f != nil && slices.Contains(f.Value.(pflag.SliceValue).GetSlice(), "") {
		return usageError(e, fs, "--policy is empty; give a path"), false
	}
	return 0, true
}

// report prints an error once, in the form its kind calls for, and returns
// the exit code.
func report(e *env, err error) int {
	var list diag.List
	var usage *apkgen.UsageError
	var notOwned *write.NotOwnedError
	var notFolder *write.NotFolderError
	var inside *write.InsideError
	var nested *write.NestedError
	var folderLink *write.FolderLinkError
	var input *load.InputError
	var gitInput *gitops.InputError
	switch {
	case errors.As(err, &list):
		printDiags(e, list)
		if list.HasErrors() {
			return ExitInvalid
		}
		return ExitOK
	case errors.As(err, &usage), errors.As(err, &notOwned), errors.As(err, &notFolder), errors.As(err, &inside), errors.As(err, &nested), errors.As(err, &folderLink), errors.As(err, &input), errors.As(err, &gitInput):
		fmt.Fprintf(e.stderr, "apkgen: %v\n", err)
		if errors.Is(err, load.ErrNoFile) {
			fmt.Fprintf(e.stderr, "apkgen: to start one: apkgen init --pattern ID (%s)\n", strings.Join(knownPatterns(), ", "))
		}
		return ExitInvalid
	}
	fmt.Fprintf(e.stderr, "apkgen: %v\n", err)
	return ExitFailure
}

// loadOptions are the validation flags the commands that load a file share.
type loadOptions struct {
	opts    load.Options
	noCache bool
	file    string // -f: the environments file
	verbose bool   // -v: say what was done and what came from the cache
}

// loadFlags registers the flags of the commands that load an environments
// file: -f, --policy, --strict and --no-cache. For validate, -f - reads
// the file from standard input (the other commands refuse it as a usage
// error), and the cache holds evaluations only (validate builds nothing).
func loadFlags(fs *pflag.FlagSet, validate bool) *loadOptions {
	o := &loadOptions{file: "environments.yaml"}
	usage := "the environments file (YAML, JSON or CUE)"
	if validate {
		usage += "; - reads it from standard input"
	}
	fs.VarP(&fileFlag{&o.file, validate}, "file", "f", usage)
	fs.StringArrayVar(&o.opts.Policies, "policy", nil, "a CUE file of package apkgen with your own rules, unified with the schema (repeatable)")
	fs.BoolVar(&o.opts.Strict, "strict", false, "treat warnings as errors")
	cached := "evaluations and kustomize builds"
	if validate {
		cached = "evaluations"
	}
	fs.BoolVar(&o.noCache, "no-cache", false, "neither reuse nor keep "+cached+" ($"+buildcache.EnvVar+"=off: no cache at all)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "say on stderr how much was evaluated and built, the rest coming from the cache")
	return o
}

// fileFlag is -f: a path, or - where the command reads standard input.
type fileFlag struct {
	path  *string
	stdin bool
}

func (f *fileFlag) String() string { return *f.path }
func (f *fileFlag) Type() string   { return "FILE" }
func (f *fileFlag) Set(v string) error {
	if v == "-" && !f.stdin {
		return errors.New("standard input (-) is read by validate only; give the file's path")
	}
	*f.path = v
	return nil
}

// work says, with -v, how much a command evaluated and built; verified is
// nil for a command that builds no kustomize folder.
func (o *loadOptions) work(e *env, f *load.File, verified *verify.Stats) {
	if !o.verbose {
		return
	}
	fmt.Fprintf(e.stderr, "apkgen: evaluated %d of %s", f.Evaluated, plural(len(f.Envs), "environment"))
	if verified != nil {
		fmt.Fprintf(e.stderr, ", built %d of %s", verified.Built, plural(verified.Dirs, "kustomize folder"))
	}
	fmt.Fprintln(e.stderr)
}

// get returns the options as parsed, with the cache unless it is off.
func (o *loadOptions) get(e *env) load.Options {
	opts := o.opts
	if !o.noCache {
		if e.cache == nil {
			e.cache = buildcache.Open(buildcache.Dir())
		}
		opts.Cache = e.cache
	}
	return opts
}

func printDiags(e *env, l diag.List) {
	for _, d := range l.Sorted() {
		fmt.Fprintln(e.stderr, d.String())
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
