package cli_test

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/pkg/cli"
)

// scriptCommands are the programs testscript scripts can exec: "apkgen" runs
// cli.Main in this test binary. Every script runner of this package
// (testdata/*/) shares this one TestMain.
var scriptCommands = map[string]func(){
	"apkgen": func() { os.Exit(cli.MainStdin(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
}

func TestMain(m *testing.M) { testscript.Main(withCache{m}, scriptCommands) }

// withCache runs the tests with a cache folder of their own, never the
// user's; scripts get one each ($WORK/.cache, see scriptSetup).
type withCache struct{ m *testing.M }

func (w withCache) Run() int {
	dir, err := os.MkdirTemp("", "apkgen-test-cache-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.Setenv(buildcache.EnvVar, dir)
	return w.m.Run()
}

// runScripts runs the txtar scripts of dir. Every script gets a cache
// folder of its own ($WORK/.cache), the command `exits` and the variables
// $EXAMPLES (the repository's examples) and vars; cmds adds commands.
func runScripts(t *testing.T, dir string, vars map[string]string, cmds map[string]func(*testscript.TestScript, bool, []string)) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]func(*testscript.TestScript, bool, []string){"exits": cmdExits}
	maps.Copy(all, cmds)
	testscript.Run(t, testscript.Params{
		Dir:           dir,
		UpdateScripts: updating(),
		Setup: func(e *testscript.Env) error {
			e.Setenv(buildcache.EnvVar, filepath.Join(e.WorkDir, ".cache"))
			e.Setenv("EXAMPLES", examples)
			for k, v := range vars {
				e.Setenv(k, v)
			}
			return nil
		},
		Cmds: all,
	})
}
