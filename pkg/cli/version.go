package cli

import (
	"fmt"
	"runtime/debug"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/apkgen/apkgen/schema"
)

// Version is set at link time (-ldflags "-X .../pkg/cli.Version=v1.2.3");
// otherwise it comes from the module's build information.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func runVersion(e *env, args []string) int {
	fs := flagSet(e, "version", "version")
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	fmt.Fprintf(e.stdout, "apkgen %s\n", version())
	sch, err := schema.Build(cuecontext.New())
	if err != nil {
		return report(e, err)
	}
	defaults := sch.LookupPath(cue.MakePath(cue.Def("DefaultCharts")))
	fmt.Fprintln(e.stdout, "charts:")
	for _, key := range []string{"apk", "agent", "apim", "certManager"} {
		c := defaults.LookupPath(cue.MakePath(cue.Str(key)))
		name, _ := c.LookupPath(cue.ParsePath("name")).String()
		ver, _ := c.LookupPath(cue.ParsePath("version")).Default()
		v, _ := ver.String()
		repo, _ := c.LookupPath(cue.ParsePath("repository")).String()
		fmt.Fprintf(e.stdout, "  %-12s %s %s (%s)\n", key+":", name, v, repo)
	}
	return ExitOK
}
