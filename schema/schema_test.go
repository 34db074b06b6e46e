package schema

import (
	"slices"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

func TestBuildDefinesEveryPattern(t *testing.T) {
	v, err := Build(cuecontext.New())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"cp-dp-k8s", "cp-vm-dp-k8s", "dp-per-namespace"} {
		p := v.LookupPath(cue.MakePath(cue.Def("Patterns"), cue.Str(id)))
		if !p.Exists() {
			t.Errorf("pattern %s not defined", id)
		}
	}
}

// TestValuesKeysAreReleaseKeys: values takes one key per release, written
// out in #EnvCommon (for "did you mean" on a typo), and #ReleaseKeys lists
// the releases: the two must agree.
func TestValuesKeysAreReleaseKeys(t *testing.T) {
	v, err := Build(cuecontext.New())
	if err != nil {
		t.Fatal(err)
	}
	var releases []string
	if err := v.LookupPath(cue.MakePath(cue.Def("ReleaseKeys"))).Decode(&releases); err != nil {
		t.Fatal(err)
	}
	values := v.LookupPath(cue.MakePath(cue.Def("EnvCommon"), cue.Str("values").Optional()))
	it, err := values.Fields(cue.Optional(true))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for it.Next() {
		keys = append(keys, it.Selector().Unquoted())
	}
	slices.Sort(keys)
	slices.Sort(releases)
	if len(keys) == 0 || !slices.Equal(keys, releases) {
		t.Errorf("#EnvCommon.values has keys %v, #ReleaseKeys is %v", keys, releases)
	}
}
