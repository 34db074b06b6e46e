package diag

import (
	"slices"
	"testing"
)

// TestSorted: by file, line and column, then path and message; a
// diagnostic found twice shows once, and the same message elsewhere (a tab
// on two lines, one field at two positions) is kept.
func TestSorted(t *testing.T) {
	var l List
	l.Errorf(Pos{File: "b.yaml", Line: 1, Col: 1}, "", "tab")
	l.Errorf(Pos{File: "a.yaml", Line: 3, Col: 1}, "", "tab")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Col: 5}, "x.y", "must be a map")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Col: 5}, "x.y", "must be a map")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Col: 9}, "x.y", "must be a map")
	l.Errorf(Pos{File: "a.yaml", Line: 1, Col: 1}, "", "tab")
	var got []string
	for _, d := range l.Sorted() {
		got = append(got, d.String())
	}
	want := []string{
		"a.yaml:1:1: tab",
		"a.yaml:2:5: x.y: must be a map",
		"a.yaml:2:9: x.y: must be a map",
		"a.yaml:3:1: tab",
		"b.yaml:1:1: tab",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Sorted:\n%q\nwant\n%q", got, want)
	}
}
