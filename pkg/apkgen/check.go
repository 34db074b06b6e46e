package apkgen

import (
	"errors"
	"io"
	"path"

	"github.com/apkgen/apkgen/pkg/generate"
	"github.com/apkgen/apkgen/pkg/gitops"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/review"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/write"
)

// CheckResult is how the owned folder differs from what a build would write.
type CheckResult struct {
	Dir   string // the owned folder on disk
	Root  string // gitops.path, the owned folder as paths in reports show it
	Drift write.Drift
	Old   map[string][]byte // the owned folder's files on disk
	New   tree.Tree         // what a build would write
	*Compiled
}

// Check compiles the file and compares the tree a build would write with the
// owned folder on disk, writing nothing. Changed, missing, stale and
// untracked files all count; clusters/*/flux-system does not.
//
// Check does not build the tree's kustomize folders (verify): that is a
// pure function of the tree's bytes, which Build runs before it writes, so
// a folder identical to the tree has passed it when it was built; and a
// differing folder fails the check anyway. Leaving it out halves the time
// of a check, which runs on every commit as a pre-commit hook.
func Check(o BuildOptions) (*CheckResult, error) {
	tg, err := target(o, false)
	if err != nil {
		return nil, err
	}
	return &CheckResult{
		Dir: tg.dir, Root: shownRoot(tg.Compiled), Drift: write.Compare(tg.old, tg.tree),
		Old: tg.old, New: tg.tree, Compiled: tg.Compiled,
	}, nil
}

// Unified is the unified diff from the folder on disk to what a build
// would write, paths relative to the repository root.
func (r *CheckResult) Unified() string { return review.Unified(r.Old, r.New, r.Root) }

// DiffOptions say what to compare.
type DiffOptions struct {
	File string // the environments file
	Root string // the GitOps repository checkout
	// Against, when set, is a Git revision of the repository holding Root:
	// the build is compared with the owned folder as committed there rather
	// than with the files on disk.
	Against string
	// Load are the validation options.
	Load load.Options
	// Log, when set, is told of the leftovers of a build that did not
	// finish (see BuildOptions.Log).
	Log io.Writer
}

// DiffResult is what a build would change.
type DiffResult struct {
	Dir    string            // the owned folder on disk
	Root   string            // gitops.path, as paths in reports show it
	Old    map[string][]byte // the owned folder now (on disk or at the revision)
	New    tree.Tree         // what a build would write
	Report *review.Report
	*Compiled
}

// Diff compiles the file and says, per environment, how the tree a build
// would write differs from the owned folder on disk or at a revision.
func Diff(o DiffOptions) (*DiffResult, error) {
	c, err := compileUnverified(o.File, o.Load)
	if err != nil {
		return nil, err
	}
	dir, t := write.Join(o.Root, c.Plan.GitOps.Path), c.Tree
	if err := write.CheckOutside(dir, inputs(o.File, o.Load)...); err != nil {
		return nil, err
	}
	var old map[string][]byte
	if o.Against == "" {
		old, err = readForCheck(dir, o.Log)
	} else {
		warnLeftovers(dir, o.Log) // they are in the working tree all the same
		old, err = gitops.ReadOwnedAt(o.Root, c.Plan.GitOps.Path, o.Against)
	}
	var refErr *gitops.RefError
	if errors.As(err, &refErr) {
		return nil, &UsageError{Msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	root := shownRoot(c)
	return &DiffResult{
		Dir: dir, Root: root, Old: old, New: t,
		Report:   review.Compare(old, t, root, scope),
		Compiled: c,
	}, nil
}

// Unified is the plain unified diff of what a build would change.
func (r *DiffResult) Unified() string { return review.Unified(r.Old, r.New, r.Root) }

func shownRoot(c *Compiled) string { return path.Clean(c.Plan.GitOps.Path) }

// scope is the group a path of the tree belongs to in reports: its
// environment; else its cluster; else the shared files (bases, README,
// marker).
func scope(p string) (kind, name string) {
	if env := generate.EnvOf(p); env != "" {
		return review.KindEnvironment, env
	}
	if c := generate.ClusterOf(p); c != "" {
		return review.KindCluster, c
	}
	return review.KindShared, ""
}
