// Package render hydrates a plan's Helm releases: for each, exactly what
// the GitOps engine would apply, as `helm template` would render it with
// the release's name, namespace, values and CRD policy, then the release's
// post-render kustomize patches applied with the kustomize API, as Flux's
// helm-controller does. Argo CD renders with the same values and patches:
// the engine matters only for the labels Flux adds.
//
// The output is byte-stable: the charts' random functions are made
// deterministic (see determinism.go).
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/postrender"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/pkg/charts"
	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/pkg/plan"
)

// Engines.
const (
	Flux   = "flux"
	ArgoCD = "argocd"
)

// Input is one release to render.
type Input struct {
	Chart   *charts.Chart
	Release *plan.Release
	// Namespace is the release's namespace: the environment's.
	Namespace string
	// Engine is the GitOps engine (Flux or ArgoCD).
	Engine string
}

// Object is one rendered Kubernetes object.
type Object struct {
	Obj map[string]any
	// Hook is true for a Helm hook (helm.sh/hook): Helm runs it around an
	// install or upgrade; post-renderers do not see it.
	Hook bool
	// Source is the chart template it comes from, when Helm's output says:
	// always for hooks; for manifests only without a post-renderer, whose
	// kustomize pass drops Helm's "# Source:" comments.
	Source string
}

func (o Object) meta() map[string]any {
	m, _ := o.Obj["metadata"].(map[string]any)
	return m
}

// APIVersion of the object.
func (o Object) APIVersion() string { s, _ := o.Obj["apiVersion"].(string); return s }

// Kind of the object.
func (o Object) Kind() string { s, _ := o.Obj["kind"].(string); return s }

// Name of the object.
func (o Object) Name() string { s, _ := o.meta()["name"].(string); return s }

// Namespace is metadata.namespace as rendered ("" when the chart sets none).
func (o Object) Namespace() string { s, _ := o.meta()["namespace"].(string); return s }

// String names the object as people do: "ClusterRole wso2apk-role".
func (o Object) String() string { return o.Kind() + " " + o.Name() }

// Output is what a release renders, objects sorted.
type Output struct {
	Objects []Object
}

// Bytes is the output as one canonical YAML stream, to compare renders.
func (o *Output) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	for _, obj := range o.Objects {
		b, err := manifest.Marshal(obj.Obj)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, "--- hook=%t\n", obj.Hook)
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// Error is a release that did not render.
type Error struct {
	Release string
	Chart   plan.Chart
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("rendering release %s (chart %s %s): %v", e.Release, e.Chart.Name, e.Chart.Version, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Render renders the release with its own values.
func Render(in Input) (*Output, error) {
	return RenderValues(in, in.Release.Values)
}

// RenderValues renders the release with other values.
func RenderValues(in Input, values map[string]any) (*Output, error) {
	out, err := renderValues(in, values)
	if err != nil {
		return nil, &Error{Release: in.Release.ReleaseName, Chart: in.Release.Chart, Err: err}
	}
	return out, nil
}

func renderValues(in Input, values map[string]any) (*Output, error) {
	ch, err := in.Chart.Load()
	if err != nil {
		return nil, err
	}
	r := in.Release
	makeDeterministic(ch, r.ReleaseName+"\x00"+in.Namespace)
	// Values go through JSON, as they do from a HelmRelease: numbers are
	// float64 for the chart as for Flux, and the caller's map is not touched.
	vals, err := jsonCopy(values)
	if err != nil {
		return nil, err
	}
	rel, err := template(ch, vals, r.ReleaseName, in.Namespace, !r.SkipsCRDs(), postRenderers(r, in.Namespace, in.Engine))
	if err != nil {
		return nil, err
	}
	out := &Output{}
	objs, err := decode(rel.manifest, false, "")
	if err != nil {
		return nil, err
	}
	out.Objects = objs
	for _, h := range rel.hooks {
		objs, err := decode(h.Manifest, true, h.Path)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, objs...)
	}
	sortObjects(out.Objects)
	return out, nil
}

// postRenderers is what the engine runs after Helm: the release's
// kustomize patches, then, for Flux, helm-controller's origin labels.
func postRenderers(r *plan.Release, namespace, engine string) postrender.PostRenderer {
	p := postRenderer{patches: r.PostRender}
	if engine == Flux {
		p.labels = map[string]string{
			"helm.toolkit.fluxcd.io/name":      r.Key,
			"helm.toolkit.fluxcd.io/namespace": namespace,
		}
	}
	if len(p.patches) == 0 && p.labels == nil {
		return nil
	}
	return p
}

func jsonCopy(v map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if v == nil {
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return out, json.Unmarshal(b, &out)
}

var (
	docSep    = regexp.MustCompile(`(?m)^---[ \t]*$`)
	sourceTag = regexp.MustCompile(`(?m)^# Source: (.+)$`)
)

// decode splits a YAML stream into objects. Numbers stay exact: integers
// are int64, the rest float64.
func decode(stream string, hook bool, source string) ([]Object, error) {
	var out []Object
	for _, doc := range docSep.Split(stream, -1) {
		src := source
		if m := sourceTag.FindStringSubmatch(doc); m != nil {
			src = m[1]
		}
		j, err := sigsyaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		var v any
		if err := jsonnum.Unmarshal(j, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: a document is not an object", src)
		}
		out = append(out, Object{Obj: m, Hook: hook, Source: src})
	}
	return out, nil
}

func sortObjects(objs []Object) {
	key := func(o Object) string {
		return strings.Join([]string{fmt.Sprint(o.Hook), model.Group(o.APIVersion()), o.Kind(), o.Namespace(), o.Name(), o.Source}, "\x00")
	}
	sort.SliceStable(objs, func(i, j int) bool { return key(objs[i]) < key(objs[j]) })
}
