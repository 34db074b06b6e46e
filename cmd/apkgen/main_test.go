package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.out")
	t.Setenv("APKGEN_CPUPROFILE", path)
	if code := run([]string{"version"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A profile is a gzipped protocol buffer.
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not a CPU profile: %v", err)
	}
	if data, err := io.ReadAll(z); err != nil || len(data) == 0 {
		t.Fatalf("not a CPU profile: %d bytes, %v", len(data), err)
	}
}

func TestCPUProfileUnwritable(t *testing.T) {
	t.Setenv("APKGEN_CPUPROFILE", filepath.Join(t.TempDir(), "missing", "cpu.out"))
	if code := run([]string{"version"}); code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
}

func TestGCPercentFor(t *testing.T) {
	for args, want := range map[string]int{"validate": -1, "build": gcPercent, "": gcPercent, "version": gcPercent} {
		if got := gcPercentFor(strings.Fields(args)); got != want {
			t.Errorf("gcPercentFor(%q) = %d, want %d", args, got, want)
		}
	}
}
