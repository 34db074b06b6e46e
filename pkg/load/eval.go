package load

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/par"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/schema"
)

// Each environment is unified with its pattern independently of the
// others, so load spreads them over a few workers. A CUE context is not safe
// for concurrent use: each worker but the first compiles the schema and
// parses the file again into a context of its own. Only Go values leave a
// worker (diagnostics and decoded environments).

// The paths eval reads in an evaluated pattern, and load in an
// environment, parsed once: parsing one costs more than the lookup.
var (
	inPath  = cue.ParsePath("in")
	outPath = cue.ParsePath("out")
	// An environment's fields load reads before evaluating it.
	patternPath = cue.ParsePath("pattern")
	clusterPath = cue.ParsePath("cluster")
)

// exportEnvFunc is exportEnv; a test wraps it to compare every export
// with CUE's own decoding.
var exportEnvFunc = exportEnv

// minEnvsPerWorker is how many environments pay for an extra worker's
// start-up (compiling the schema, parsing the file again).
const minEnvsPerWorker = 8

// source is the file as read, for workers that parse it again.
type source struct {
	name string
	data []byte
	opts Options
	// policies are the --policy files, read once.
	policies []schema.Source
	// syntax is the file as parsed (not evaluated), for cache keys.
	syntax *ast.File
	// bases is #ReleaseBase, decoded once (readBases).
	bases map[string]model.ReleaseBase
	// keyer keys the evaluations, nil when they are not cached.
	keyer *keyer
	// prefetched waits for what prefetch read from the cache.
	prefetched func() map[string]cachedEval
}

// envTask is an environment to evaluate.
type envTask struct {
	name, pattern, cluster string
	// key is the evaluation's cache key, zero when the cache is off or
	// the environment cannot be keyed.
	key buildcache.Key
	// full, for a claims-only evaluation, is the key of the complete one:
	// it holds the claims too, so validate after a build evaluates nothing.
	full buildcache.Key
}

// cacheable reports whether the task has a cache key.
func (t envTask) cacheable() bool { return t.key != buildcache.Key{} }

// worker evaluates environments in one CUE context.
type worker struct {
	r        *reporter
	cache    *buildcache.Cache
	sch, doc cue.Value
	cuectx   *cue.Context
	// ctx is #Context but its name, the same for every environment:
	// build, the file's charts and their resolution (#FileCharts),
	// computed once, as the fields of a struct to encode (context).
	ctx map[string]any
	// claimsOnly: the patterns compute their claims only (validate).
	claimsOnly bool
}

// compiled is the schema and the file, built in one CUE context.
type compiled struct {
	ctx      *cue.Context
	sch, doc cue.Value
}

func newWorker(src source, r *reporter, c compiled, sectionErrors bool) *worker {
	w := &worker{r: r, cache: src.opts.Cache, sch: c.sch, doc: c.doc, cuectx: c.ctx, claimsOnly: src.opts.ClaimsOnly}
	charts := fileCharts(c.doc, sectionErrors)
	w.ctx = map[string]any{"build": !src.opts.ClaimsOnly, "fileCharts": charts, "charts": fileChartsResolved(c.sch, charts)}
	return w
}

// fileCharts is the file's charts block as the patterns read it (a CUE
// value, or an empty Go map when absent or when the file has errors
// outside its environments), to fill in.
func fileCharts(doc cue.Value, sectionErrors bool) any {
	if c := doc.LookupPath(cue.ParsePath("charts")); c.Exists() && !sectionErrors {
		return c
	}
	return map[string]any{}
}

// fileChartsResolved is #FileCharts for the file's charts block: each
// release key's chart for an environment that overrides none.
func fileChartsResolved(sch cue.Value, charts any) cue.Value {
	return sch.LookupPath(cue.MakePath(cue.Def("FileCharts"))).
		FillPath(cue.ParsePath("file"), charts).LookupPath(outPath)
}

// resolveFileCharts is fileChartsResolved, decoded.
func resolveFileCharts(sch cue.Value, charts any) (map[string]model.Chart, error) {
	var out map[string]model.Chart
	if err := fileChartsResolved(sch, charts).Decode(&out); err != nil {
		return nil, fmt.Errorf("#FileCharts: %w", err)
	}
	return out, nil
}

// parseWorker makes a worker in a new context from the file: a copy of
// its syntax tree when it is data (copyData), else its bytes parsed again.
func parseWorker(src source, main *reporter, sectionErrors bool) (*worker, error) {
	ctx := cuecontext.New()
	sch, err := buildSchema(ctx, src.policies)
	if err != nil {
		return nil, err
	}
	syntax, ok := (*ast.File)(nil), false
	if format(src.name) != "cue" && src.syntax != nil {
		syntax, ok = copyData(src.syntax)
	}
	if !ok {
		if syntax, err = parseSyntax(src.name, src.data, format(src.name)); err != nil {
			return nil, err
		}
	}
	doc := ctx.BuildFile(syntax)
	return newWorker(src, main.withDoc(doc), compiled{ctx, sch, doc}, sectionErrors), nil
}

// cachedEval is what the cache held for an environment as written, read
// before the environments were known (prefetch): the pattern and keys it
// was read by, and the evaluation (nil: none, or one that did not decode).
type cachedEval struct {
	pattern   string
	key, full buildcache.Key
	ev        *evaluated
}

// prefetch reads the cached evaluations of the file's environments as
// written, on goroutines of their own, while the calling one builds the
// file in CUE and checks its sections: on a warm cache the reads are done
// by the time the environments are known. The function it returns waits
// for them. The reads (mostly decoding) are spread over as many workers as
// evaluations would be: on one goroutine they were the longest path of a
// warm validate of 1000 environments, with a core idle beside them.
func prefetch(src source) func() map[string]cachedEval {
	k := src.keyer
	if k == nil {
		return func() map[string]cachedEval { return nil }
	}
	names := slices.Collect(maps.Keys(k.envs))
	done := make(chan map[string]cachedEval, 1)
	go func() {
		read := make([]*cachedEval, len(names))
		par.For(len(names), par.Workers(len(names), minEnvsPerWorker), func(_, i int) {
			pattern, ok := patternOf(k.envs[names[i]])
			if !ok {
				return
			}
			c := cachedEval{pattern: pattern}
			c.key, c.full = k.keys(names[i], pattern)
			c.ev = readEval(src.opts, c.key, c.full)
			read[i] = &c
		})
		out := make(map[string]cachedEval, len(names))
		miss := false
		for i, c := range read {
			if c != nil {
				out[names[i]] = *c
			}
			miss = miss || c == nil || c.ev == nil
		}
		if miss {
			src.opts.evaluating()
		}
		done <- out
	}()
	return sync.OnceValue(func() map[string]cachedEval { return <-done })
}

// readEval reads the first of the keys the cache holds an evaluation
// under that decodes (only its claims for a claims-only run); zero keys
// are skipped.
func readEval(opts Options, keys ...buildcache.Key) *evaluated {
	for _, key := range keys {
		if key == (buildcache.Key{}) {
			continue
		}
		if data, ok := opts.Cache.Get(key); ok {
			if ev, err := decodeEnv(data, opts.ClaimsOnly); err == nil {
				return ev
			}
		}
	}
	return nil
}

// readCache gives each task its cache key and, from a cache hit, its
// environment: what prefetch read for the same environment and pattern is
// taken from it, the rest is keyed and read here, in parallel. A file with
// errors outside its environments is not keyed: a build never uses its
// evaluations. An entry that does not decode is evaluated again.
func readCache(src source, sectionErrors bool, tasks []envTask, envs []*Env) {
	if src.keyer == nil || sectionErrors {
		return
	}
	pre := src.prefetched()
	par.For(len(tasks), par.Workers(len(tasks), minEnvsPerWorker), func(_, i int) {
		t := &tasks[i]
		c, ok := pre[t.name]
		if !ok || c.pattern != t.pattern {
			c.key, c.full = src.keyer.keys(t.name, t.pattern)
			c.ev = readEval(src.opts, c.key, c.full)
		}
		t.key, t.full = c.key, c.full
		if c.ev != nil {
			envs[i] = t.env(c.ev)
		}
	})
}

// evaluate runs the tasks on a few workers; diagnostics and environments
// come back in the order of the tasks, whichever worker ran them. An
// environment evaluated before, with the same schema and inputs, is read
// from the cache instead.
func evaluate(src source, r *reporter, c compiled, sectionErrors bool, tasks []envTask) ([]*Env, int, diag.List, error) {
	envs := make([]*Env, len(tasks))
	diags := make([]diag.List, len(tasks))
	errs := make([]error, len(tasks))
	// Only the cache's misses reach a worker.
	readCache(src, sectionErrors, tasks, envs)
	var misses []int
	for i := range tasks {
		if envs[i] == nil {
			misses = append(misses, i)
		}
	}
	workers := par.Workers(len(misses), minEnvsPerWorker)
	ws := make([]*worker, workers)
	werrs := make([]error, workers)
	if len(misses) > 0 {
		// The first worker uses the context the file was read into.
		ws[0] = newWorker(src, r, c, sectionErrors)
	}
	par.For(len(misses), workers, func(w, j int) {
		i := misses[j]
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
			return nil, 0, nil, errs[i]
		}
		all = append(all, diags[i]...)
		if envs[i] != nil {
			out = append(out, envs[i])
		}
	}
	return out, len(misses), all, nil
}

// context is the #Context of environment name, as the fields to encode.
func (w *worker) context(name string) map[string]any {
	c := maps.Clone(w.ctx)
	c["name"] = name
	return c
}

// eval unifies an environment with its pattern, reports what is wrong with
// it, and decodes what the pattern computes.
func (w *worker) eval(t envTask) (diag.List, *Env, error) {
	r := w.r
	envPath := []string{"environments", t.name}
	raw := w.doc.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(t.name)))
	pat := w.sch.LookupPath(cue.MakePath(cue.Def("Patterns"), cue.Str(t.pattern)))
	// The inputs are filled in one unification: each FillPath on the
	// pattern would evaluate it whole again. They are encoded as one
	// struct, whose fields are CUE values and Go values: each FillPath
	// builds the struct anew and evaluates it again (three of them cost
	// 4 % of validating an environment).
	ev := pat.Unify(w.cuectx.Encode(map[string]any{"in": raw, "ctx": w.context(t.name)}))
	evIn, evOut := ev.LookupPath(inPath), ev.LookupPath(outPath)
	if err := evIn.Validate(cue.Concrete(true)); err != nil {
		return r.inputErrors(err, raw, pat.LookupPath(inPath), envPath), nil, nil
	}
	if err := validateOut(evOut, w.claimsOnly); err != nil {
		// Only what the user wrote can make a pattern's output invalid.
		return r.reportAll(err, &scope{prefix: envPath, computed: true, at: raw}, nil), nil, nil
	}
	data, err := exportEnvFunc(evIn, evOut, w.claimsOnly)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", joinPath(envPath), err)
	}
	decoded, err := decodeEnv(data, w.claimsOnly)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", joinPath(envPath), err)
	}
	e := t.env(decoded)
	if t.cacheable() {
		w.cache.Put(t.key, data)
	}
	return nil, e, nil
}

// validateOut checks what a pattern computed. A build needs all of it
// concrete. With claimsOnly (validate), the patterns compute only their
// claims, so only those must be concrete (the fields of outputClaims,
// which is also what validate exports): a --policy rule on what only a
// build computes (a release's values, objects, files) constrains a field
// that validate leaves unset, and build checks it. Conflicts anywhere are
// errors in both.
func validateOut(out cue.Value, claimsOnly bool) error {
	if !claimsOnly {
		return out.Validate(cue.Concrete(true))
	}
	if err := out.Validate(); err != nil {
		return err
	}
	if errs := concreteTyped(out, outputClaimsType, nil); errs != nil {
		return errs
	}
	return nil
}

// concreteTyped adds to errs an error for each field of struct type t
// that v has and that is not concrete: each field whole, except a map,
// whose entries are checked the same way (releases, release by release).
func concreteTyped(v cue.Value, t reflect.Type, errs cueerrors.Error) cueerrors.Error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || v.Kind() != cue.StructKind {
		return concrete(v, errs)
	}
	for _, f := range typedFields(t) {
		fv := v.LookupPath(f.path)
		if !fv.Exists() {
			continue
		}
		if f.typ.Kind() == reflect.Map && fv.Kind() == cue.StructKind {
			it, err := fv.Fields()
			for err == nil && it.Next() {
				errs = concreteTyped(it.Value(), f.typ.Elem(), errs)
			}
			if err == nil {
				continue
			}
		}
		errs = concrete(fv, errs)
	}
	return errs
}

// concrete adds v's error to errs unless v is concrete.
func concrete(v cue.Value, errs cueerrors.Error) cueerrors.Error {
	if err := v.Validate(cue.Concrete(true)); err != nil {
		errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
	}
	return errs
}

// env is the task's environment with its evaluation.
func (t envTask) env(ev *evaluated) *Env {
	return &Env{Name: t.name, Pattern: t.pattern, Cluster: t.cluster, In: ev.In, Out: ev.Out}
}
