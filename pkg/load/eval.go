package load

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/apkgen/apkgen/internal/par"
	"github.com/apkgen/apkgen/pkg/diag"
)

// Each environment is unified with its pattern independently of the
// others, so load spreads them over a few workers. A CUE context is not safe
// for concurrent use: each worker but the first compiles the schema and
// parses the file again into a context of its own. Only Go values leave a
// worker (diagnostics and decoded environments).

// minEnvsPerWorker is how many environments pay for an extra worker's
// start-up (compiling the schema, parsing the file again).
const minEnvsPerWorker = 8

// source is the file as read, for workers that parse it again.
type source struct {
	name string
	data []byte
	opts Options
}

// envTask is an environment to evaluate.
type envTask struct {
	name, pattern, cluster string
	first                  bool      // the first environment of its cluster
	raw                    cue.Value // as written, in the main context
}

// worker evaluates environments in one CUE context.
type worker struct {
	r          *reporter
	sch, doc   cue.Value
	empty      cue.Value // {}
	fileCharts cue.Value // the file's charts, {} when absent or invalid
}

func newWorker(r *reporter, sch, doc cue.Value, sectionErrors bool) *worker {
	w := &worker{r: r, sch: sch, doc: doc, empty: doc.Context().CompileString("{}")}
	w.fileCharts = doc.LookupPath(cue.ParsePath("charts"))
	if !w.fileCharts.Exists() || sectionErrors {
		w.fileCharts = w.empty
	}
	return w
}

// parseWorker makes a worker in a new context from the file's bytes.
func parseWorker(src source, main *reporter, sectionErrors bool) (*worker, error) {
	ctx := cuecontext.New()
	sch, err := buildSchema(ctx, src.opts.Policies)
	if err != nil {
		return nil, err
	}
	syntax, err := parseSyntax(src.name, src.data, format(src.name))
	if err != nil {
		return nil, err
	}
	doc := ctx.BuildFile(syntax)
	r := newReporter(src.name, doc, sch)
	r.policies, r.secretPaths = main.policies, main.secretPaths
	return newWorker(r, sch, doc, sectionErrors), nil
}

// evaluate runs the tasks on a few workers; diagnostics and environments
// come back in the order of the tasks, whichever worker ran them.
func evaluate(src source, r *reporter, sch, doc cue.Value, sectionErrors bool, tasks []envTask) ([]*Env, diag.List, error) {
	workers := par.Workers(len(tasks), minEnvsPerWorker)
	ws := make([]*worker, workers)
	werrs := make([]error, workers)
	ws[0] = newWorker(r, sch, doc, sectionErrors)
	envs := make([]*Env, len(tasks))
	diags := make([]diag.List, len(tasks))
	errs := make([]error, len(tasks))
	par.For(len(tasks), workers, func(w, i int) {
		if ws[w] == nil && werrs[w] == nil {
			ws[w], werrs[w] = parseWorker(src, r, sectionErrors)
		}
		if werrs[w] != nil {
			errs[i] = werrs[w]
			return
		}
		diags[i], envs[i], errs[i] = ws[w].eval(tasks[i])
	})
	var out []*Env
	var all diag.List
	for i := range tasks {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		all = append(all, diags[i]...)
		if envs[i] != nil {
			envs[i].Raw = tasks[i].raw
			out = append(out, envs[i])
		}
	}
	return out, all, nil
}

// eval unifies an environment with its pattern, reports what is wrong with
// it, and decodes what the pattern computes.
func (w *worker) eval(t envTask) (diag.List, *Env, error) {
	var diags diag.List
	r := w.r
	envPath := []string{"environments", t.name}
	raw := w.doc.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(t.name)))
	pat := w.sch.LookupPath(cue.MakePath(cue.Def("Patterns"), cue.Str(t.pattern)))
	ctxVal := w.doc.Context().Encode(map[string]any{
		"name":           t.name,
		"firstOnCluster": t.first,
	}).FillPath(cue.ParsePath("fileCharts"), w.fileCharts)
	// The inputs are filled in one unification: each FillPath on the
	// pattern would evaluate it whole again.
	ev := pat.Unify(w.empty.FillPath(cue.ParsePath("in"), raw).FillPath(cue.ParsePath("ctx"), ctxVal))
	inDef := pat.LookupPath(cue.ParsePath("in"))
	in := &scope{prefix: envPath, marker: "in", schema: inDef, at: raw}
	if err := ev.LookupPath(cue.ParsePath("in")).Validate(cue.Concrete(true)); err != nil {
		// CUE reports unknown and missing fields only while it has no
		// other error: walk them in Go for the complete list.
		diags = append(diags, r.checkFields(raw, inDef, envPath, in)...)
		return append(diags, r.report(err, in)...), nil, nil
	}
	if err := ev.LookupPath(cue.ParsePath("out")).Validate(cue.Concrete(true)); err != nil {
		// Only what the user wrote can make a pattern's output invalid.
		return append(diags, r.report(err, &scope{prefix: envPath, marker: "out", at: raw})...), nil, nil
	}
	e := &Env{Name: t.name, Pattern: t.pattern, Cluster: t.cluster}
	if err := ev.LookupPath(cue.ParsePath("in")).Decode(&e.In); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", strings.Join(envPath, "."), err)
	}
	if err := ev.LookupPath(cue.ParsePath("out")).Decode(&e.Out); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", strings.Join(envPath, "."), err)
	}
	return diags, e, nil
}
