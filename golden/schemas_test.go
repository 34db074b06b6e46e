package golden

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/apkgen/apkgen/internal/kubeschema"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/verify"
)

// TestSchemas compiles every example, builds each kustomize directory (as
// Flux would; Argo CD's offline, without the charts its folders inflate),
// and validates every resulting object, and every Flux Kustomization under
// clusters/, against the strict schemas of testdata/schemas. A kind without
// a schema fails: there is no exception list.
func TestSchemas(t *testing.T) {
	schemas := loadSchemas(t)
	examples, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, ex := range examples {
		t.Run(strings.TrimSuffix(filepath.Base(ex), ".yaml"), func(t *testing.T) {
			c, err := apkgen.Compile(ex)
			if err != nil {
				t.Fatalf("compile %s: %v", ex, err)
			}
			for _, err := range validateTree(schemas, c) {
				t.Error(err)
			}
		})
	}
}

// TestSchemasCatchBrokenTree breaks three files of a compiled tree (a field
// of an environment's release patch, a post-render patch of the shared
// release base, and a field
// of a cluster's Flux Kustomization) and expects validateTree to report
// each: the check above is not vacuous.
func TestSchemasCatchBrokenTree(t *testing.T) {
	schemas := loadSchemas(t)
	c, err := apkgen.Compile("../examples/mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	breakFile := func(p, old, new string) {
		if !bytes.Contains(c.Tree[p], []byte(old)) {
			t.Fatalf("%s: no %q to break", p, old)
		}
		c.Tree[p] = bytes.Replace(c.Tree[p], []byte(old), []byte(new), 1)
	}
	breakFile("apps/dev/apk-release.yaml", "releaseName:", "releaseNmae:")
	breakFile("apps/base/apk/release.yaml", "name: apipolicies.dp.wso2.com", "nmae: apipolicies.dp.wso2.com")
	breakFile("clusters/uat/apps-uat.yaml", "prune: true", `prune: "yes"`)
	var got []string
	for _, err := range validateTree(schemas, c) {
		got = append(got, err.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"kustomize build apps/dev: helm.toolkit.fluxcd.io/v2 HelmRelease \"apk\":\n  at /spec: additional properties 'releaseNmae' not allowed",
		"kustomize build apps/base/apk: HelmRelease \"apk\": embedded patch: no metadata.name",
		"kustomize build apps/test: HelmRelease \"apk\": embedded patch: no metadata.name",
		"clusters/uat/apps-uat.yaml: kustomize.toolkit.fluxcd.io/v1 Kustomization \"apps-uat\":\n  at /spec/prune: got string, want boolean",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing error %q; got:\n%s", want, all)
		}
	}
	// The base's error shows in each folder that builds on it: the base
	// and the four environments' folders.
	if len(got) != 7 {
		t.Errorf("got %d errors, want 7:\n%s", len(got), all)
	}
}

func loadSchemas(t *testing.T) *kubeschema.Set {
	t.Helper()
	s, err := kubeschema.Load("../testdata/schemas")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateTree builds the compiled tree's kustomize directories and
// validates what they give and the files under clusters/.
func validateTree(schemas *kubeschema.Set, c *apkgen.Compiled) []error {
	builds, err := verify.Build(c.Tree)
	if err != nil {
		return []error{err}
	}
	var errs []error
	// Every environment and cluster must have been built, or the loops
	// below would check less than they claim. A Flux cluster's objects are
	// in its infrastructure folder; an Argo CD cluster's in argocd/.
	flux := c.Plan.GitOps.Engine == "flux"
	var want []string
	for _, e := range c.Plan.Environments {
		want = append(want, "apps/"+e.Name)
	}
	for _, cl := range c.Plan.Clusters {
		if flux {
			want = append(want, "infrastructure/"+cl.Name)
		} else {
			want = append(want, "argocd/"+cl.Name, "infrastructure/"+cl.Name+"/apk-shared")
		}
	}
	for _, dir := range want {
		if builds[dir] == nil || builds[dir].Size() == 0 {
			errs = append(errs, fmt.Errorf("%s: not built or empty", dir))
		}
	}
	for _, dir := range verify.Dirs(c.Tree) {
		for _, r := range builds[dir].Resources() {
			obj, err := r.Map()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", dir, err))
				continue
			}
			errs = append(errs, check(schemas, "kustomize build "+dir, obj)...)
		}
	}
	// What no kustomization lists: Flux's clusters/ files and each Argo
	// CD cluster's bootstrap Application.
	var clusterFiles int
	for _, p := range c.Tree.Paths() {
		unlisted := strings.HasPrefix(p, "clusters/") ||
			strings.HasPrefix(p, "argocd/") && path.Base(p) == "bootstrap.yaml"
		if !unlisted || path.Ext(p) != ".yaml" {
			continue
		}
		clusterFiles++
		docs, err := decodeYAML(c.Tree[p])
		if err == nil && len(docs) == 0 {
			err = errors.New("no objects")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
		for _, obj := range docs {
			errs = append(errs, check(schemas, p, obj)...)
		}
	}
	if clusterFiles == 0 {
		errs = append(errs, errors.New("no files under clusters/ or argocd/*/bootstrap.yaml"))
	}
	return errs
}

// check validates one object against its schema, and the patches embedded
// in it as strings, which the schema sees only as strings.
func check(schemas *kubeschema.Set, where string, obj map[string]any) []error {
	var errs []error
	if err := schemas.Validate(obj); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", where, err))
	}
	meta, _ := obj["metadata"].(map[string]any)
	for _, p := range embeddedPatches(obj) {
		if err := checkPatch(p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s %q: embedded patch: %w\n%s", where, obj["kind"], meta["name"], err, p))
		}
	}
	return errs
}

// embeddedPatches returns the strategic-merge patches a HelmRelease's
// kustomize post-renderers or a Flux Kustomization carry.
func embeddedPatches(obj map[string]any) []string {
	spec, _ := obj["spec"].(map[string]any)
	var lists []any
	switch obj["kind"] {
	case "HelmRelease":
		prs, _ := spec["postRenderers"].([]any)
		for _, pr := range prs {
			k, _ := pr.(map[string]any)["kustomize"].(map[string]any)
			lists = append(lists, k["patches"])
		}
	case "Kustomization":
		lists = append(lists, spec["patches"])
	}
	var out []string
	for _, l := range lists {
		ps, _ := l.([]any)
		for _, p := range ps {
			if s, ok := p.(map[string]any)["patch"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// checkPatch requires a patch to be one YAML object naming what it patches:
// without apiVersion, kind and metadata.name kustomize cannot match it.
func checkPatch(p string) error {
	docs, err := decodeYAML([]byte(p))
	if err != nil {
		return err
	}
	if len(docs) != 1 {
		return fmt.Errorf("%d documents, want 1", len(docs))
	}
	meta, _ := docs[0]["metadata"].(map[string]any)
	for k, v := range map[string]any{"apiVersion": docs[0]["apiVersion"], "kind": docs[0]["kind"], "metadata.name": meta["name"]} {
		if s, _ := v.(string); s == "" {
			return fmt.Errorf("no %s", k)
		}
	}
	return nil
}

// decodeYAML returns the non-empty documents of a YAML stream.
func decodeYAML(b []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
}
