package generate

import (
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/plan"
)

// ReadmeFile is the generated README at the top of the owned folder.
const ReadmeFile = "README.md"

// Readme describes the tree for the people who read the GitOps repository:
// a table of the environments and a Mermaid diagram of the clusters,
// namespaces and control plane connections, which GitHub renders. It is
// derived from the plan alone, so it is as deterministic as the manifests.
func Readme(p *plan.Plan) []byte {
	var b strings.Builder
	b.WriteString(manifest.MarkdownHeader)
	b.WriteString("# WSO2 APK environments\n\n")
	l := layoutOf(p)
	b.WriteString("apkgen generated this folder from the environments file. Do not edit it: change that file and run\n" +
		"`apkgen build`, which rewrites or removes every file here" + l.notOurs + ".\n")

	var envs [][]string
	for _, e := range p.Environments {
		var charts []string
		for _, r := range e.Releases {
			charts = append(charts, fmt.Sprintf("%s `%s` %s", r.Key, r.Chart.Name, r.Chart.Version))
		}
		envs = append(envs, []string{e.Name, "`" + e.Pattern + "`", e.Cluster, e.Namespace,
			e.Hostnames.Gateway, e.Hostnames.System, strings.Join(charts, "<br>")})
	}
	writeSection(&b, "Environments", "",
		[]string{"Environment", "Pattern", "Cluster", "Namespace", "Gateway hostname", "System hostname", "Charts"}, envs)

	writeSecrets(&b, p)
	writeFiles(&b, p)

	b.WriteString("\n## Topology\n\n")
	b.WriteString("Each box is a cluster, each box inside it a namespace with its Helm releases (release name, chart and\n" +
		"version); an arrow is an APK agent's connection to its API Manager control plane.\n\n")
	b.WriteString(mermaid(p))

	b.WriteString("\n## Layout\n\n| Folder | Holds |\n| --- | --- |\n")
	b.WriteString(strings.Join(l.folders, "\n") + "\n")
	fmt.Fprintf(&b, "\n%s\n\n| Cluster | API server | Environments | %s |\n| --- | --- | --- | --- |\n", l.bootstrap, l.column)
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", c.Name, c.Server, strings.Join(c.Environments, ", "), l.entry(c.Name))
	}
	return []byte(b.String())
}

// writeSecrets lists the Secrets the releases read, which apkgen never
// writes: per environment, each Secret once, with every key a release
// reads from it and the releases that read it.
func writeSecrets(b *strings.Builder, p *plan.Plan) {
	var rows [][]string
	for _, e := range p.Environments {
		for _, s := range secretsOf(e) {
			rows = append(rows, []string{e.Name, e.Namespace, "`" + s.name + "`", "`" + s.typ + "`",
				"`" + strings.Join(s.keys, "`, `") + "`", strings.Join(s.readBy, ", ")})
		}
	}
	writeSection(b, "Secrets to create",
		"The releases read these Secrets from their environment's namespace; apkgen never writes them. Create\n"+
			"them before the environment's first reconciliation (for example with Sealed Secrets or External Secrets).",
		[]string{"Environment", "Namespace", "Secret", "Type", "Keys", "Read by"}, rows)
}

// writeFiles lists the files a pattern writes beside the manifests for
// people to use, which no kustomization lists (a VM's deployment.toml).
func writeFiles(b *strings.Builder, p *plan.Plan) {
	var rows [][]string
	for _, e := range p.Environments {
		for _, name := range slices.Sorted(maps.Keys(e.Files)) {
			f := path.Join("apps", e.Name, name)
			rows = append(rows, []string{e.Name, fmt.Sprintf("[`%s`](%s)", f, f)})
		}
	}
	writeSection(b, "Files to use by hand",
		"These are written beside the manifests and applied by nothing: each file's header says what it is\n"+
			"for and where it goes.",
		[]string{"Environment", "File"}, rows)
}

// writeSection writes a section of a heading, a paragraph (if any) and a
// table, or nothing without rows.
func writeSection(b *strings.Builder, heading, intro string, columns []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n", heading)
	if intro != "" {
		b.WriteString(intro + "\n\n")
	}
	b.WriteString("| " + strings.Join(columns, " | ") + " |\n|" + strings.Repeat(" --- |", len(columns)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
}

// secretUse is a Secret of an environment and what its releases read.
type secretUse struct {
	name, typ    string
	keys, readBy []string
}

// secretsOf merges the releases' Secret uses by name, sorted: the keys
// every release reads, and a kubernetes.io/tls type if any says so.
func secretsOf(e *plan.Environment) []*secretUse {
	byName := map[string]*secretUse{}
	var out []*secretUse
	for _, r := range e.Releases {
		for _, u := range r.Secrets {
			s := byName[u.Name]
			if s == nil {
				s = &secretUse{name: u.Name, typ: u.Type}
				byName[u.Name] = s
				out = append(out, s)
			}
			if u.Type != "Opaque" {
				s.typ = u.Type
			}
			s.keys = append(s.keys, u.Keys...)
			if !slices.Contains(s.readBy, r.Key) {
				s.readBy = append(s.readBy, r.Key)
			}
		}
	}
	for _, s := range out {
		slices.Sort(s.keys)
		s.keys = slices.Compact(s.keys)
	}
	slices.SortFunc(out, func(a, b *secretUse) int { return strings.Compare(a.name, b.name) })
	return out
}

// layout is what the README says of an engine's folders, and per cluster
// what to point the engine at.
type layout struct {
	notOurs   string   // what a build leaves alone, as a clause
	folders   []string // "| folder | holds |" rows
	bootstrap string   // the sentence before the table
	column    string   // its last column's heading
	entry     func(cluster string) string
}

// layoutOf is the layout of the plan's engine (Generate admits no other).
func layoutOf(p *plan.Plan) layout {
	root := path.Clean(p.GitOps.Path)
	if p.GitOps.Engine == "argocd" {
		return layout{
			folders: []string{
				"| `apps/<environment>/` | the environment's namespace and objects, and one kustomize folder per release that inflates its chart |",
				"| `infrastructure/<cluster>/` | what a cluster gets once: cert-manager, the APK CRDs, the ClusterRole its APK releases share |",
				"| `argocd/<cluster>/` | the cluster's Applications and AppProjects, in sync waves: projects, infrastructure, environments |",
			},
			bootstrap: "Apply each cluster's root Application once, by hand; it deploys the rest:",
			column:    "`kubectl apply -n argocd -f`",
			entry:     func(c string) string { return path.Join(root, "argocd", c, "bootstrap.yaml") },
		}
	}
	return layout{
		notOurs: " (except `clusters/<cluster>/flux-system/`,\nwhich belongs to `flux bootstrap`)",
		folders: []string{
			"| `apps/base/<release>/` | a HelmRepository and a HelmRelease per chart, shared by the environments |",
			"| `apps/<environment>/` | the environment's namespace, objects and the values of its releases |",
			"| `infrastructure/<cluster>/` | what a cluster gets once: cert-manager, the APK CRDs, the ClusterRole its APK releases share |",
			"| `clusters/<cluster>/` | the Flux Kustomizations of the cluster: infrastructure first, then its environments |",
		},
		bootstrap: "Bootstrap Flux on each cluster with the path of its folder:",
		column:    "`flux bootstrap --path`",
		entry:     func(c string) string { return path.Join(root, "clusters", c) },
	}
}

// mermaid draws the clusters as subgraphs holding one subgraph per
// environment's namespace with its releases, and an edge from every release
// that connects to a control plane (its values.controlPlane.serviceURL) to
// that control plane: a release of the same namespace when the URL is that
// namespace's Service, else a node for the host outside the clusters.
func mermaid(p *plan.Plan) string {
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	envs := map[string]*plan.Environment{}
	index := map[string]int{}
	for i, e := range p.Environments {
		envs[e.Name] = e
		index[e.Name] = i + 1
	}
	for ci, c := range p.Clusters {
		fmt.Fprintf(&b, "  subgraph c%d[%s]\n", ci+1, label("cluster "+c.Name))
		for _, name := range c.Environments {
			e := envs[name]
			id := fmt.Sprintf("e%d", index[name])
			fmt.Fprintf(&b, "    subgraph %s[%s]\n", id, label("namespace "+e.Namespace+" · "+e.Name))
			for _, r := range e.Releases {
				fmt.Fprintf(&b, "      %s[%s]\n", nodeID(id, r.Key),
					label(r.ReleaseName+"<br/>"+r.Chart.Name+" "+r.Chart.Version))
			}
			b.WriteString("    end\n")
		}
		b.WriteString("  end\n")
	}
	var edges []string
	external := map[string]string{} // host:port → node id
	var hosts []string
	for _, e := range p.Environments {
		id := fmt.Sprintf("e%d", index[e.Name])
		for _, r := range e.Releases {
			u := controlPlaneURL(r)
			if u == nil {
				continue
			}
			from := nodeID(id, r.Key)
			if to := inNamespace(e, r, u.Hostname()); to != nil {
				edges = append(edges, fmt.Sprintf("  %s -->|control plane| %s\n", from, nodeID(id, to.Key)))
				continue
			}
			hp := u.Host
			if _, ok := external[hp]; !ok {
				external[hp] = fmt.Sprintf("cp%d", len(external)+1)
				hosts = append(hosts, hp)
			}
			edges = append(edges, fmt.Sprintf("  %s -->|control plane| %s\n", from, external[hp]))
		}
	}
	for _, hp := range hosts {
		fmt.Fprintf(&b, "  %s{{%s}}\n", external[hp], label("API Manager outside the clusters<br/>"+hp))
	}
	for _, e := range edges {
		b.WriteString(e)
	}
	b.WriteString("```\n")
	return b.String()
}

// controlPlaneURL is a release's values.controlPlane.serviceURL, if any.
func controlPlaneURL(r *plan.Release) *url.URL {
	cp, _ := r.Values["controlPlane"].(map[string]any)
	s, _ := cp["serviceURL"].(string)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	return u
}

// inNamespace returns the release of the environment whose Service the host
// names (<release>-...<.namespace>.svc[.cluster.local]), or nil.
func inNamespace(e *plan.Environment, from *plan.Release, host string) *plan.Release {
	svc, ok := strings.CutSuffix(host, ".svc.cluster.local")
	if !ok {
		if svc, ok = strings.CutSuffix(host, ".svc"); !ok {
			return nil
		}
	}
	name, ok := strings.CutSuffix(svc, "."+e.Namespace)
	if !ok {
		return nil
	}
	var best *plan.Release
	for _, r := range e.Releases {
		if r != from && strings.HasPrefix(name, r.ReleaseName+"-") &&
			(best == nil || len(r.ReleaseName) > len(best.ReleaseName)) {
			best = r
		}
	}
	return best
}

func nodeID(group, key string) string {
	var b strings.Builder
	for _, r := range key {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteString("_" + strconv.Itoa(int(r)) + "_")
		}
	}
	return group + "_" + b.String()
}

// label quotes a Mermaid label; a double quote inside is written as an
// entity, the only form Mermaid accepts there.
func label(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}
