// Package apkgen is the library behind the apkgen command: it runs the
// pipeline load → plan → generate → verify → write. The CLI is a thin layer
// over it; tests and other programs call it directly.
package apkgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/generate"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/verify"
	"github.com/apkgen/apkgen/pkg/write"
)

// UsageError is a mistake in how apkgen was called (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// BugError is a failure apkgen should never produce from valid input: the
// generated tree did not build (exit 3). Nothing is written.
type BugError struct{ Err error }

func (e *BugError) Error() string {
	return fmt.Sprintf("internal error, please report it: %v", e.Err)
}

func (e *BugError) Unwrap() error { return e.Err }

// Compiled is a validated file, its plan and its verified tree.
type Compiled struct {
	File *load.File
	Plan *plan.Plan
	Tree tree.Tree
	// Verified says how many kustomize folders verify built (the others
	// were in the cache); zero when the tree was not verified.
	Verified verify.Stats
}

// Compile runs every stage but writing, with default options. The input
// errors come back as a diag.List.
func Compile(file string) (*Compiled, error) {
	return CompileWith(file, load.Options{})
}

// CompileWith is Compile with load options (policies, strict).
func CompileWith(file string, opts load.Options) (*Compiled, error) {
	f, err := load.ReadFile(file, opts)
	if err != nil {
		return nil, err
	}
	return compileFile(f, true, opts.Cache)
}

// compileUnverified loads, plans and generates, without the kustomize
// builds a comparison does not need (see Check).
func compileUnverified(file string, opts load.Options) (*Compiled, error) {
	f, err := load.ReadFile(file, opts)
	if err != nil {
		return nil, err
	}
	return compileFile(f, false, nil)
}

// CompileFile plans, generates and verifies a loaded file.
func CompileFile(f *load.File) (*Compiled, error) {
	return compileFile(f, true, nil)
}

// compileFile plans and generates; with check it also builds every
// kustomize folder of the tree (verify), which only a tree about to be
// written needs: see Check. A cache spares the folders built before.
func compileFile(f *load.File, check bool, cache *buildcache.Cache) (*Compiled, error) {
	p, err := plan.Build(f)
	if err != nil {
		return nil, &BugError{Err: err}
	}
	t, err := generate.Generate(p)
	if err != nil {
		return nil, &BugError{Err: err} // the schema admits only what generates
	}
	c := &Compiled{File: f, Plan: p, Tree: t}
	if check {
		if c.Verified, err = verify.Check(t, cache); err != nil {
			return nil, &BugError{Err: err}
		}
	}
	return c, nil
}

// BuildOptions say what to build and where.
type BuildOptions struct {
	File string // the environments file
	Root string // the GitOps repository checkout; the tree goes to Root/gitops.path
	// Envs, when set, limits the rebuild to these environments: the files of
	// the others stay as they are on disk.
	Envs []string
	// Load are the validation options.
	Load load.Options
	// Render, when set, also writes the rendered releases under
	// rendered/<env>/ (build --render).
	Render *RenderOptions
	// Reads are other files the run reads (a signing key): like the
	// environments file, they are refused inside the owned folder.
	Reads []string
	// BeforeWrite, when set, is called with the owned folder and the tree
	// to write there once it is ready and before anything is touched, what
	// a stopped build left beside the folder included; its error stops the
	// build (e.g. --commit refusing a folder outside the repository, one
	// beside another git process's lock, or a --env build whose commit
	// would change other environments' files).
	BeforeWrite func(dir string, t tree.Tree) error
	// Log, when set, receives what people should know and no result
	// carries: what a build recovered from one that did not finish
	// (write.Recover), and, from a check, that such leftovers are there.
	Log io.Writer
}

// BuildResult is what a build did.
type BuildResult struct {
	Dir    string // the owned folder
	Change write.Change
	// Files are the owned folder's files as the build left them (what
	// write.ReadOwned would read back).
	Files tree.Tree
	*Compiled
}

// Build compiles the file and writes the tree.
func Build(o BuildOptions) (*BuildResult, error) {
	tg, err := target(o, true)
	if err != nil {
		return nil, err
	}
	defer tg.unlock()
	if o.BeforeWrite != nil {
		if err := o.BeforeWrite(tg.dir, tg.tree); err != nil {
			return nil, err
		}
	}
	// A refused build touches nothing, what a stopped build left included:
	// that is recovered only now (tg.old is the folder as recovery leaves
	// it, write.ReadRecovered).
	if err := recoverLeftovers(tg.dir, o.Log); err != nil {
		return nil, err
	}
	change, err := write.Replace(tg.dir, tg.old, tg.tree)
	if err != nil {
		return nil, err
	}
	return &BuildResult{Dir: tg.dir, Change: change, Files: tg.tree, Compiled: tg.Compiled}, nil
}

// targeted is a compiled file and its owned folder, read and locked.
type targeted struct {
	*Compiled
	dir  string            // the owned folder
	tree tree.Tree         // what a build writes there
	old  map[string][]byte // what the folder holds now
	// unlock releases the folder's lock (write.Lock), which a build holds
	// from before it reads the folder until it has replaced it.
	unlock func()
}

// target compiles the file and returns the owned folder (locked, for a
// build), the tree a build writes there and the files the folder holds:
// for a build, as recovering what a build that did not finish left beside
// it will leave it (Build recovers last), and the tree is verified.
func target(o BuildOptions, build bool) (tg *targeted, err error) {
	if build && o.Load.OnEvaluate == nil {
		// An environment to evaluate means folders to build: kustomize
		// gets ready while the file is read.
		o.Load.OnEvaluate = verify.Prepare
	}
	f, err := load.ReadFile(o.File, o.Load)
	if err != nil {
		return nil, err
	}
	// A mistaken --env is said before any work (kustomize, chart pulls).
	selected, err := selectEnvs(f, o.Envs)
	if err != nil {
		return nil, err
	}
	// A --env build writes a mix of new and old files: the mix is what is
	// verified (below), not the whole new tree as well.
	c, err := compileFile(f, build && selected == nil, o.Load.Cache)
	if err != nil {
		return nil, err
	}
	dir := write.Join(o.Root, c.Plan.GitOps.Path)
	reads := slices.Concat(o.Reads, inputs(o.File, o.Load))
	if o.Render != nil {
		reads = append(reads, o.Render.ChartDir)
	}
	// A refused build touches nothing, what a stopped build left included:
	// every check comes before recovery, which Build does last.
	if err = write.CheckOutside(dir, reads...); err != nil {
		return nil, err
	}
	t := c.Tree
	if o.Render != nil {
		if t, err = withRendered(c, *o.Render, selected); err != nil {
			return nil, err
		}
	}
	var old map[string][]byte
	unlock := func() {}
	if build {
		// Held until the folder is replaced (Build).
		unlock = write.Lock(dir, true, o.Log)
		defer func() {
			if err != nil {
				unlock()
			}
		}()
		old, err = write.ReadRecovered(dir)
	} else {
		old, err = readForCheck(dir, o.Log)
	}
	if err != nil {
		return nil, err
	}
	if selected != nil {
		t = onlyEnvs(t, old, selected)
		if c.Plan.GitOps.Engine == "argocd" {
			if err = generate.RelistArgoEnvs(t); err != nil {
				return nil, relistError(err, t, c.Tree)
			}
		}
		// The others' files are as they were on disk: the mix is what gets
		// written, so the mix must build too.
		if build {
			if c.Verified, err = verifyMix(c.Tree, t, o.Load.Cache); err != nil {
				return nil, err
			}
		}
	}
	return &targeted{Compiled: c, dir: dir, tree: t, old: old, unlock: unlock}, nil
}

// recoverLeftovers recovers what builds that did not finish left beside
// the owned folder dir and removes it (write.Recover), saying so on log.
func recoverLeftovers(dir string, log io.Writer) error {
	notes, err := write.Recover(dir)
	for _, n := range notes {
		fmt.Fprintf(orDiscard(log), "apkgen: %s\n", n)
	}
	return err
}

// readForCheck reads the owned folder dir for build --check or diff, under
// a shared lock (a build may be swapping it), and says on log that builds
// that did not finish left folders beside it: these write nothing, so the
// folders stay, in the repository's root and not ignored.
func readForCheck(dir string, log io.Writer) (map[string][]byte, error) {
	unlock := write.Lock(dir, false, log)
	defer unlock()
	warnLeftovers(dir, log)
	return write.ReadOwned(dir)
}

// warnLeftovers says on log that builds that did not finish left folders
// beside the owned folder dir, which the next build recovers.
func warnLeftovers(dir string, log io.Writer) {
	for _, l := range write.Leftovers(dir) {
		fmt.Fprintf(orDiscard(log), "apkgen: warning: %s was left by a build that did not finish; the next build recovers what it holds and removes it\n", l)
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// inputs are the files a build reads: the environments file and the
// policies.
func inputs(file string, opts load.Options) []string {
	return append([]string{file}, opts.Policies...)
}

// relistError is the error of RelistArgoEnvs on mix, a --env build's
// tree: the user's to fix when the root it could not read is one kept as
// it is on disk (edited by hand, or in a merge), apkgen's bug when it is
// one the build generated (full).
func relistError(err error, mix, full tree.Tree) error {
	var root *generate.RootError
	if errors.As(err, &root) && !bytes.Equal(mix[root.Path], full[root.Path]) {
		return &UsageError{Msg: fmt.Sprintf("--env: %v: this file, kept as it is on disk, is not a kustomization apkgen can read; "+
			"restore it (git checkout), or build without --env", err)}
	}
	return &BugError{Err: err}
}

// verifyMix builds the tree of a --env build, mix: the selected
// environments' new files beside the others' files from disk. When it
// fails, the whole new tree (full) tells whose fault it is: if that builds,
// the files on disk no longer fit the new shared ones (the user's to fix by
// building everything); if not, it is an apkgen bug.
func verifyMix(full, mix tree.Tree, cache *buildcache.Cache) (verify.Stats, error) {
	st, err := verify.Check(mix, cache)
	if err == nil {
		return st, nil
	}
	if _, fullErr := verify.Check(full, cache); fullErr != nil {
		return st, &BugError{Err: fullErr}
	}
	return st, &UsageError{Msg: fmt.Sprintf("--env: with only these environments rebuilt, "+
		"the tree would not build (the other environments' files on disk no longer fit): %v; "+
		"build without --env", err)}
}

// selectEnvs checks the --env names against the file; nil means all.
func selectEnvs(f *load.File, envs []string) (map[string]bool, error) {
	if len(envs) == 0 {
		return nil, nil
	}
	known := map[string]bool{}
	var names []string // sorted, as the file's environments are
	for _, e := range f.Envs {
		known[e.Name] = true
		names = append(names, e.Name)
	}
	selected := map[string]bool{}
	for _, e := range envs {
		if e == "" {
			return nil, &UsageError{Msg: fmt.Sprintf("--env is empty; give an environment's name (environments: %s)", strings.Join(names, ", "))}
		}
		if !known[e] {
			return nil, &UsageError{Msg: fmt.Sprintf("--env %s: no such environment in %s;%s environments: %s",
				e, f.Name, suggest.Hint(e, names), strings.Join(names, ", "))}
		}
		selected[e] = true
	}
	return selected, nil
}

// onlyEnvs takes the new tree's shared files and those of the selected
// environments, and the files of every other environment from disk.
func onlyEnvs(next tree.Tree, old map[string][]byte, selected map[string]bool) tree.Tree {
	t := tree.Tree{}
	for p, b := range next {
		if env := generate.EnvOf(p); env == "" || selected[env] {
			t[p] = b
		}
	}
	// The README summarises every environment: a partial build would put
	// the others' new state in it. It keeps its old text until a full build.
	if b, ok := old[generate.ReadmeFile]; ok {
		t[generate.ReadmeFile] = b
	}
	// A cluster removed from the file keeps its files while an environment
	// on it is kept: its Flux Kustomizations or Argo CD root are what
	// deploy that environment.
	kept, present := map[string]bool{}, map[string]bool{}
	for p, b := range old {
		if env := generate.EnvOf(p); env != "" && !selected[env] {
			t[p] = b
			if c := generate.ClusterOf(p); c != "" {
				kept[c] = true
			}
		}
	}
	for p := range next {
		if c := generate.ClusterOf(p); c != "" {
			present[c] = true
		}
	}
	for p, b := range old {
		if c := generate.ClusterOf(p); kept[c] && !present[c] && generate.EnvOf(p) == "" {
			t[p] = b
		}
	}
	return t
}

// withRendered adds the rendered releases to the compiled tree. With
// --env (selected), the releases of the clusters of the selected
// environments are rendered, theirs and their neighbours' (where a kind is
// cluster-scoped is learnt from all the CRDs a cluster's releases render),
// and the files of the others are then taken from disk like the rest of
// their environment: an environment elsewhere whose chart cannot be had
// does not stop the build.
func withRendered(c *Compiled, o RenderOptions, selected map[string]bool) (tree.Tree, error) {
	var clusters map[string]bool
	if selected != nil {
		clusters = map[string]bool{}
		for _, e := range c.Plan.Environments {
			if selected[e.Name] {
				clusters[e.Cluster] = true
			}
		}
	}
	rels, err := hydrate(c.Plan, o, clusters)
	if err != nil {
		return nil, err
	}
	rendered, err := RenderedTree(rels)
	if err != nil {
		return nil, &BugError{Err: err}
	}
	t := make(tree.Tree, len(c.Tree)+len(rendered))
	for p, b := range c.Tree {
		t[p] = b
	}
	for p, b := range rendered {
		t[p] = b
	}
	return t, nil
}
