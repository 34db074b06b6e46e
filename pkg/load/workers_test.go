package load

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/diag"
)

// withProcs runs fn with GOMAXPROCS set to n, which bounds the workers.
func withProcs(t *testing.T, n int, fn func()) {
	t.Helper()
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	fn()
}

// TestDiagnosticsWhateverTheWorkers breaks environments evaluated by
// different workers and checks that the diagnostics, positions included,
// are the same with one worker and with several.
func TestDiagnosticsWhateverTheWorkers(t *testing.T) {
	data := envgen.Generate(60)
	for _, r := range [][2]string{
		{"gateway: env-00003.gw.example.com", "gateway: Bad_Host"},
		{"gateway: env-00057.gw.example.com", "gateway: Bad_Host"},
		{"credentialsSecret: apim-admin", "credentialsSecret: Not-A-Secret"},
		{"pattern: dp-per-namespace\n    cluster: shared-0001", "pattern: no-such-pattern\n    cluster: shared-0001"},
	} {
		if !bytes.Contains(data, []byte(r[0])) {
			t.Fatalf("%q not in the generated file", r[0])
		}
		data = bytes.Replace(data, []byte(r[0]), []byte(r[1]), 1)
	}
	parse := func() diag.List {
		_, err := Parse("envs.yaml", data, Options{})
		var l diag.List
		if !errors.As(err, &l) {
			t.Fatalf("got %v, want diagnostics", err)
		}
		return l
	}
	var serial, parallel diag.List
	withProcs(t, 1, func() { serial = parse() })
	withProcs(t, 4, func() { parallel = parse() })
	if len(serial) < 4 {
		t.Errorf("%d diagnostics, want at least 4:\n%v", len(serial), serial)
	}
	for _, d := range serial {
		if d.Pos.Line == 0 {
			t.Errorf("diagnostic without a line: %v", d)
		}
	}
	if a, b := serial.Error(), parallel.Error(); a != b {
		t.Errorf("diagnostics differ\none worker:\n%s\nseveral:\n%s", a, b)
	}
	t.Logf("%s", serial.Error())
}
