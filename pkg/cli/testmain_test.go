package cli_test

import (
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
	"apkgen": func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
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

// scriptSetup gives a script its cache folder.
func scriptSetup(e *testscript.Env) {
	e.Setenv(buildcache.EnvVar, filepath.Join(e.WorkDir, ".cache"))
}
