package cli_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/apkgen/apkgen/pkg/cli"
)

// scriptCommands are the programs testscript scripts can exec: "apkgen" runs
// cli.Main in this test binary. Every script runner of this package
// (testdata/*/) shares this one TestMain.
var scriptCommands = map[string]func(){
	"apkgen": func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
}

func TestMain(m *testing.M) { testscript.Main(m, scriptCommands) }
