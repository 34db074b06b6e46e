package verify

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/openapi"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/pkg/tree"
)

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
data:
  key: value
`

// sample is a tree shaped like apkgen's: shared bases, and many
// environments that use them through ../base and patch them.
func sample(envs int) tree.Tree {
	t := tree.Tree{
		"apps/base/app/kustomization.yaml": []byte("resources:\n- cm.yaml\n"),
		"apps/base/app/cm.yaml":            []byte(fmt.Sprintf(configMap, "app")),
		"apps/base/kustomization.yaml":     []byte("resources:\n- app\n"),
	}
	for i := range envs {
		dir := fmt.Sprintf("apps/env-%03d", i)
		t[dir+"/kustomization.yaml"] = []byte(fmt.Sprintf(
			"namespace: ns-%d\nresources:\n- ../base\n- own.yaml\npatches:\n- path: patch.yaml\n", i))
		t[dir+"/own.yaml"] = []byte(fmt.Sprintf(configMap, "own"))
		t[dir+"/patch.yaml"] = []byte(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  env: \"%d\"\n", i))
	}
	return t
}

func TestBuildFollowsReferences(t *testing.T) {
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		out, err := Build(sample(40))
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatalf("GOMAXPROCS=%d: %v", procs, err)
		}
		if len(out) != 42 {
			t.Errorf("%d directories built, want 42", len(out))
		}
		m := out["apps/env-007"]
		if m == nil || m.Size() != 2 {
			t.Fatalf("apps/env-007: got %v", m)
		}
		y, err := m.AsYaml()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(y), `env: "7"`) || !strings.Contains(string(y), "namespace: ns-7") {
			t.Errorf("apps/env-007 not patched:\n%s", y)
		}
	}
}

// Kustomize reads its schema in the background (Prepare) safely beside
// builds: make race runs this. (What Prepare is for, time, only the
// benchmarks can show.)
func TestPrepareBesideBuilds(t *testing.T) {
	openapi.ResetOpenAPI() // as in a new process, where Prepare runs once
	Prepare()
	out, err := Build(sample(16))
	if err != nil || len(out) != 18 {
		t.Fatalf("built %d folders, %v; want 18", len(out), err)
	}
}

func TestBuildReportsTheFirstFailingDirectory(t *testing.T) {
	tr := sample(40)
	tr["apps/env-031/kustomization.yaml"] = []byte("resources:\n- ../missing\n")
	tr["apps/env-012/kustomization.yaml"] = []byte("resources:\n- nothing.yaml\n")
	_, err := Build(tr)
	if err == nil || !strings.HasPrefix(err.Error(), "kustomize build apps/env-012:") {
		t.Errorf("Build: got %v, want the error of apps/env-012", err)
	}
	if _, err2 := Check(tr, nil); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("Check: got %v, want %v", err2, err)
	}
	if _, err := Check(sample(3), nil); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestBuildCannotReadOutsideTheRoot(t *testing.T) {
	tr := sample(1)
	// A patch in another folder, one this build does mount (the base it
	// refers to), is refused by kustomize's load restrictions.
	tr["apps/env-000/kustomization.yaml"] = []byte("resources:\n- ../base\npatches:\n- path: ../base/app/cm.yaml\n")
	if _, err := Build(tr); err == nil || !strings.Contains(err.Error(), "is not in or below") {
		t.Errorf("a patch outside the kustomization root: got %v, want kustomize's load restriction", err)
	}
}

// With a cache, a folder is built again only when a file its build reads
// changed; a failure is never remembered.
func TestCheckBuildsOnlyWhatChanged(t *testing.T) {
	c := buildcache.Open(t.TempDir())
	check := func(tr tree.Tree, wantBuilt int) {
		t.Helper()
		st, err := Check(tr, c)
		if err != nil {
			t.Fatal(err)
		}
		c.Flush()
		if st.Dirs != 12 || st.Built != wantBuilt {
			t.Errorf("built %d of %d folders, want %d of 12", st.Built, st.Dirs, wantBuilt)
		}
	}
	tr := sample(10)
	check(tr, 12)
	check(tr, 0)
	tr["apps/env-003/patch.yaml"] = []byte(fmt.Sprintf(configMap, "app"))
	check(tr, 1)
	// The base is read by every folder above it.
	tr["apps/base/app/cm.yaml"] = []byte(strings.Replace(string(tr["apps/base/app/cm.yaml"]), "value", "other", 1))
	check(tr, 12)
	// A broken folder fails every time, and the cache does not hide it;
	// the folders that built in a failing run are kept (here: the base
	// changed too, so every folder was built).
	tr["apps/base/app/cm.yaml"] = []byte(strings.Replace(string(tr["apps/base/app/cm.yaml"]), "other", "third", 1))
	good := tr["apps/env-005/kustomization.yaml"]
	tr["apps/env-005/kustomization.yaml"] = []byte("resources:\n- ../missing\n")
	for range 2 {
		if _, err := Check(tr, c); err == nil || !strings.Contains(err.Error(), "apps/env-005") {
			t.Fatalf("Check: got %v, want the error of apps/env-005", err)
		}
		c.Flush()
	}
	tr["apps/env-005/kustomization.yaml"] = good
	check(tr, 1)
	// Without a cache everything is built.
	if st, err := Check(sample(10), nil); err != nil || st.Built != 12 {
		t.Errorf("no cache: built %d, err %v", st.Built, err)
	}
}

// offline leaves a kustomization without network use as it is, and takes
// out of one what needs the network; the rest of it stays.
func TestOffline(t *testing.T) {
	local := "resources:\n- ../base\n- own.yaml\ncomponents:\n- ../comp\n"
	b, listed, err := offline([]byte(local))
	if err != nil || string(b) != local || strings.Join(listed, " ") != "../base own.yaml ../comp" {
		t.Errorf("local: %q %v %v", b, listed, err)
	}
	for name, k := range map[string]string{
		"remote":     "resources:\n- https://example.com/crds.yaml\n- own.yaml\n",
		"helmCharts": "resources:\n- own.yaml\nhelmCharts:\n- name: apk\n  repo: https://example.com\n",
	} {
		b, listed, err := offline([]byte(k))
		if err != nil || strings.Contains(string(b), "https://") || !strings.Contains(string(b), "- own.yaml") ||
			strings.Join(listed, " ") != "own.yaml" {
			t.Errorf("%s: %q %v %v", name, b, listed, err)
		}
	}
	tr := sample(2)
	tr["apps/env-001/kustomization.yaml"] = []byte("resources: [unclosed\n")
	if _, err := Build(tr); err == nil || !strings.HasPrefix(err.Error(), "apps/env-001: ") {
		t.Errorf("a kustomization that is no YAML: got %v, want an error naming its folder", err)
	}
}

// identical is a tree whose environment folders read the same bytes at the
// same relative paths: their builds are alike.
func identical(envs int) tree.Tree {
	t := sample(0)
	for i := range envs {
		dir := fmt.Sprintf("apps/env-%03d", i)
		t[dir+"/kustomization.yaml"] = []byte("namespace: shared\nresources:\n- ../base\n- own.yaml\n")
		t[dir+"/own.yaml"] = []byte(fmt.Sprintf(configMap, "own"))
	}
	return t
}

// Folders that build alike are built once; each still gets its result, a
// copy of its own, and a failure names the first of them.
func TestBuildsAlikeOnce(t *testing.T) {
	st, err := Check(identical(5), nil)
	if err != nil || st.Dirs != 7 || st.Built != 3 {
		t.Errorf("built %d of %d folders (err %v), want 3 of 7: the two bases and one environment", st.Built, st.Dirs, err)
	}
	out, err := Build(identical(5))
	if err != nil || len(out) != 7 {
		t.Fatalf("Build: %d results, err %v; want 7", len(out), err)
	}
	a, b := out["apps/env-000"], out["apps/env-004"]
	ya, _ := a.AsYaml()
	yb, _ := b.AsYaml()
	if a.Size() != 2 || string(ya) != string(yb) {
		t.Fatalf("alike folders built differently:\n%s\n%s", ya, yb)
	}
	a.Clear()
	if b.Size() != 2 {
		t.Error("two folders share one result: clearing one cleared the other")
	}

	// A folder that differs only by where it is (one more level down)
	// reads its base at another relative path: it is built on its own.
	tr := identical(2)
	tr["apps/x/env/kustomization.yaml"] = []byte("namespace: shared\nresources:\n- ../../base\n- own.yaml\n")
	tr["apps/x/env/own.yaml"] = []byte(fmt.Sprintf(configMap, "own"))
	if st, err := Check(tr, nil); err != nil || st.Built != 4 {
		t.Errorf("built %d (err %v), want 4", st.Built, err)
	}

	bad := identical(3)
	for _, dir := range []string{"apps/env-001", "apps/env-002"} {
		bad[dir+"/kustomization.yaml"] = []byte("resources:\n- nothing.yaml\n")
	}
	if _, err := Check(bad, nil); err == nil || !strings.HasPrefix(err.Error(), "kustomize build apps/env-001:") {
		t.Errorf("got %v, want the error of apps/env-001", err)
	}
}
