package schema

import (
	"slices"
	"strings"
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

// A policy's top-level field must constrain something: be one of the
// schema's definitions or a definition the policies use.
func TestPolicyFieldsThatConstrainNothing(t *testing.T) {
	const pkg = "package apkgen\n\n"
	for name, c := range map[string]struct {
		policies []string
		refused  string // the name refused, "" for none
	}{
		"schema definition":       {[]string{`#File: environments: [string]: namespace: =~"^apk-"`}, ""},
		"helper used in a value":  {[]string{`#P: "apk-"`, `#File: environments: [string]: namespace: =~"^\(#P)"`}, ""},
		"helper used in a label":  {[]string{`#Key: =~"^prod"`, `#File: environments: [#Key]: pattern: "cp-dp-k8s"`}, ""},
		"helper in another file":  {[]string{`#P: "cp-dp-k8s"`, "", `#File: environments: [=~"^prod"]: pattern: #P`}, ""},
		"hidden and let":          {[]string{`_x: 1`, `let k = "Environments"`, `#File: kind: k`}, ""},
		"misspelt definition":     {[]string{`#Fiel: environments: [string]: namespace: =~"^apk-"`}, "#Fiel"},
		"rules without #File":     {[]string{`environments: [string]: namespace: =~"^apk-"`}, "environments"},
		"name used only as label": {[]string{`#File: environments: [string]: namespace: =~"^apk-"`, `environments: [string]: cluster: "c"`}, "environments"},
		"quoted definition name":  {[]string{`"#File": environments: [string]: namespace: =~"^apk-"`}, `"#File"`},
	} {
		var srcs []Source
		for i, p := range c.policies {
			if p == "" {
				continue // the next one goes in a file of its own
			}
			if len(srcs) == 0 || i > 0 && c.policies[i-1] == "" {
				srcs = append(srcs, Source{Name: "policy.cue", Data: []byte(pkg)})
			}
			last := &srcs[len(srcs)-1]
			last.Data = append(last.Data, p+"\n"...)
		}
		_, err := Build(cuecontext.New(), srcs...)
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", name, err)
		case c.refused != "" && (err == nil || !strings.HasPrefix(err.Error(), c.refused+" is ")):
			t.Errorf("%s: got %v, want %s refused", name, err, c.refused)
		}
	}
}
