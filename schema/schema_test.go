package schema

import (
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
