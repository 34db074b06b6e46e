package cli_test

import "testing"

// TestCheckScripts runs testdata/check/*.txtar: every outcome of
// build --check and of diff. $EXAMPLES is the examples folder; git, when
// scripts use it, gets a fixed identity and no user or system config.
func TestCheckScripts(t *testing.T) {
	vars := map[string]string{"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}
	for _, who := range []string{"AUTHOR", "COMMITTER"} {
		vars["GIT_"+who+"_NAME"] = "apkgen test"
		vars["GIT_"+who+"_EMAIL"] = "test@example.com"
		vars["GIT_"+who+"_DATE"] = "2025-01-01T00:00:00Z"
	}
	runScripts(t, "testdata/check", vars, nil)
}
