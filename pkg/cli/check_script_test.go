package cli_test

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestCheckScripts runs testdata/check/*.txtar: every outcome of
// build --check and of diff. $EXAMPLES is the examples folder; git, when
// scripts use it, gets a fixed identity and no user or system config.
func TestCheckScripts(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/check",
		UpdateScripts: updating(),
		Setup: func(e *testscript.Env) error {
			scriptSetup(e)
			e.Setenv("EXAMPLES", examples)
			e.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			e.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
			for _, who := range []string{"AUTHOR", "COMMITTER"} {
				e.Setenv("GIT_"+who+"_NAME", "apkgen test")
				e.Setenv("GIT_"+who+"_EMAIL", "test@example.com")
				e.Setenv("GIT_"+who+"_DATE", "2025-01-01T00:00:00Z")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
		},
	})
}
