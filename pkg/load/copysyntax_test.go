package load

import (
	"reflect"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueformat "cuelang.org/go/cue/format"

	"github.com/apkgen/apkgen/internal/envgen"
)

// A copy of a data file's syntax tree builds what the file builds, in a
// context of its own, positions included, and leaves the original as it
// was; syntax it does not know is not copied.
func TestCopyData(t *testing.T) {
	for name, data := range map[string][]byte{
		"envs.yaml":  append(envgen.Generate(20), "\n# a trailing comment\nextra: [-1, 2.5, null, true, \"s\", {a: ~}]\n"...),
		"envs.json":  []byte(`{"gitops": {"engine": "flux"}, "n": [-1, 2.5, null, false], "s": {"x": "y"}}`),
		"empty.yaml": []byte("# only a comment\n"),
	} {
		orig, err := parseSyntax(name, data, format(name))
		if err != nil {
			t.Fatal(err)
		}
		before, err := cueformat.Node(orig)
		if err != nil {
			t.Fatal(err)
		}
		// The first context resolves the original in place.
		cuecontext.New().BuildFile(orig)
		c, ok := copyData(orig)
		if !ok {
			t.Fatalf("%s: not copied", name)
		}
		got, err := cueformat.Node(c)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(before) {
			t.Errorf("%s: the copy prints\n%s\nwant\n%s", name, got, before)
		}
		fresh, err := parseSyntax(name, data, format(name))
		if err != nil {
			t.Fatal(err)
		}
		a, b := cuecontext.New().BuildFile(c), cuecontext.New().BuildFile(fresh)
		if !a.Equals(b) {
			t.Errorf("%s: the copy builds %v, the file %v", name, a, b)
		}
		if !reflect.DeepEqual(positions(a), positions(b)) {
			t.Errorf("%s: positions differ:\n%v\n%v", name, positions(a), positions(b))
		}
		// A node the copy shared with the original would be built by two
		// contexts at once; only comments, which building reads, are shared.
		shared := nodes(orig)
		for n := range nodes(c) {
			switch n.(type) {
			case *ast.CommentGroup, *ast.Comment:
				continue
			}
			if shared[n] {
				t.Fatalf("%s: the copy shares the node %T at %v with the original", name, n, n.Pos())
			}
		}
		if after, err := cueformat.Node(orig); err != nil || string(after) != string(before) {
			t.Errorf("%s: the original changed:\n%s", name, after)
		}
	}
	for _, src := range []string{
		"import \"strings\"\nx: strings.ToUpper(\"a\")\n",
		"x: [for i in [1, 2] {i}]\n",
		"x: {a: 1}.a\n",
	} {
		f, err := parseSyntax("envs.cue", []byte(src), "cue")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := copyData(f); ok {
			t.Errorf("copied %q, which is not data", src)
		}
	}
}

// positions lists the position of every value in v, depth first.
func positions(v cue.Value) []string {
	var out []string
	v.Walk(func(x cue.Value) bool {
		out = append(out, x.Pos().String())
		return true
	}, nil)
	return out
}

// nodes is every node of the tree under n.
func nodes(n ast.Node) map[ast.Node]bool {
	out := map[ast.Node]bool{}
	ast.Walk(n, func(x ast.Node) bool {
		out[x] = true
		return true
	}, nil)
	return out
}
