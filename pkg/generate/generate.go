// Package generate lays a plan out as the GitOps tree of the chosen engine.
package generate

import (
	"fmt"

	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
)

// Generate returns the tree for the plan's engine, paths relative to the
// folder apkgen owns (gitops.path).
func Generate(p *plan.Plan) (tree.Tree, error) {
	var (
		t   tree.Tree
		err error
	)
	switch p.GitOps.Engine {
	case "flux":
		t, err = Flux(p)
	default:
		return nil, fmt.Errorf("gitops.engine %q: not supported yet; use flux", p.GitOps.Engine)
	}
	if err != nil {
		return nil, err
	}
	t[ReadmeFile] = Readme(p)
	return t, nil
}
