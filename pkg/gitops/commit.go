package gitops

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/apkgen/apkgen/pkg/generate"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/write"
)

// Options are what every commit needs besides the tree.
type Options struct {
	// Author and Committer are "Name <email>" (the --author and --committer
	// flags). Empty: the identity git commit would use, asked of git
	// (GIT_AUTHOR_* / GIT_COMMITTER_* from Env, then the git
	// configuration); without git, those variables, then user.name and
	// user.email of the repository's configuration, then the global one.
	// A missing one takes the other's identity.
	Author, Committer string
	// SignKeyFile holds an armored OpenPGP private key; empty: the key in
	// APKGEN_GPG_KEY, if any. See LoadSignKey.
	SignKeyFile string
	// InputFile is the environments file: its name and the HEAD commit of
	// the repository holding it go into the message's trailers, with the
	// SHA-256 of the bytes the build compiled (given to Commit).
	InputFile string
	Version   string // apkgen's version, for the Apkgen-Version trailer
	Env       Getenv // nil: os.Getenv
	// Log receives progress meant for people (retries, the remote's
	// messages), already redacted. Nil discards it.
	Log io.Writer
}

func (o *Options) log(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// signer is what a commit is made with once the options are resolved.
type signer struct {
	author, committer Identity
	key               *openpgp.Entity
	input             provenance
	version           string
}

type provenance struct {
	name   string // as shown in the message
	commit string // empty outside a git repository
	// blob is the file's blob in commit: the commit is its provenance only
	// if the bytes built are that blob (not an uncommitted edit).
	blob plumbing.Hash
}

// prepare resolves identities, the signing key and the provenance; gitDir
// is the repository's git folder ("" for none) and cfg its configuration
// as go-git reads it, where the identities may come from.
func prepare(o *Options, gitDir string, cfg *config.Config) (*signer, error) {
	author, committer, err := identities(o, gitDir, cfg)
	if err != nil {
		return nil, err
	}
	key, err := LoadSignKey(o.SignKeyFile, o.Env)
	if err != nil {
		return nil, err
	}
	in := inputProvenance(o.InputFile)
	return &signer{author: author, committer: committer, key: key, input: in, version: o.Version}, nil
}

// inputProvenance names the environments file and finds the HEAD commit of
// the repository it is in, if any. The file itself is read by the build.
func inputProvenance(file string) provenance {
	p := provenance{name: filepath.Base(file)}
	abs, err := filepath.Abs(file)
	if err != nil {
		return p
	}
	repo, err := git.PlainOpenWithOptions(filepath.Dir(abs), &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return p
	}
	if wt, err := repo.Worktree(); err == nil {
		if rel, ok := within(wt.Filesystem.Root(), abs); ok {
			p.name = rel
		}
	}
	head, err := repo.Head()
	if err != nil {
		return p
	}
	p.commit = head.Hash().String()
	if c, err := repo.CommitObject(head.Hash()); err == nil {
		if f, err := c.File(filepath.ToSlash(p.name)); err == nil {
			p.blob = f.Hash
		}
	}
	return p
}

// realPath is p made absolute with its symbolic links resolved.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	// A folder not created yet resolves through its nearest existing
	// parent: that is where writing it would go.
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// PathIn returns the owned folder dir as a path inside the repository
// whose working tree is root, symbolic links resolved on both sides. A
// folder that is not strictly inside (a link out of it, say) is an input
// error: call it before writing, so that a refused commit writes nothing.
func PathIn(root, dir string) (string, error) {
	rel, ok := within(root, dir)
	if !ok || rel == "." {
		return "", inputErrorf("--commit: the owned folder %s must be a folder inside the repository at %s", dir, realPath(root))
	}
	return rel, nil
}

// within returns target's slash-separated path relative to root, symbolic
// links resolved on both sides, and whether target is root or inside it.
func within(root, target string) (string, bool) {
	rel, err := filepath.Rel(realPath(root), realPath(target))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// Checkout is a git working tree that holds the owned folder.
type Checkout struct {
	repo *git.Repository
	root string // the working tree's root, symbolic links resolved
	s    *signer
	o    Options
	sec  secrets
}

// Open finds the repository that holds dir (dir or one of its parents) and
// resolves what commits need (identity, signing key), so that a mistake
// there is reported before anything is built.
func Open(dir string, o Options) (*Checkout, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, inputErrorf("--commit: %s is not in a git repository (git init it, or use --repo URL)", dir)
	}
	if err != nil {
		return nil, secrets(nil).wrap(err, "opening the git repository at %s", dir)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, inputErrorf("--commit: %s: a bare repository has no working tree to build in", dir)
	}
	cfg, err := repo.ConfigScoped(config.GlobalScope)
	if err != nil {
		return nil, secrets(nil).wrap(err, "reading the git configuration")
	}
	s, err := prepare(&o, repo.Storer.(*filesystem.Storage).Filesystem().Root(), cfg)
	if err != nil {
		return nil, err
	}
	// Before anything is built: a checkout mid-merge cannot take a commit.
	idx, err := repo.Storer.Index()
	if err != nil {
		return nil, secrets(nil).wrap(err, "reading the index")
	}
	if err := noConflicts(idx); err != nil {
		return nil, err
	}
	if err := noOperation(repo.Storer.(*filesystem.Storage).Filesystem().Root()); err != nil {
		return nil, err
	}
	return &Checkout{repo: repo, root: realPath(wt.Filesystem.Root()), s: s, o: o}, nil
}

// noConflicts refuses an index with unresolved conflicts.
func noConflicts(idx *index.Index) error {
	for _, e := range idx.Entries {
		if e.Stage != 0 { // (go-git's index.Merged is 1, not the 0 a merged entry has)
			return inputErrorf("--commit: the index has unresolved conflicts (%s); resolve them first", e.Name)
		}
	}
	return nil
}

// operations are the files git keeps, in a working tree's own git folder,
// while a merge, a cherry-pick, a revert or a rebase waits for the user.
var operations = []struct{ file, what string }{
	{"MERGE_HEAD", "a merge"},
	{"CHERRY_PICK_HEAD", "a cherry-pick"},
	{"REVERT_HEAD", "a revert"},
	{"rebase-merge", "a rebase"},
	{"rebase-apply", "a rebase"},
}

// noOperation refuses a checkout in the middle of a merge (its conflicts
// resolved or not), cherry-pick, revert or rebase: a commit of apkgen's
// there would not be the commit git is waiting to make, and git would
// take it into its own.
func noOperation(gitDir string) error {
	for _, op := range operations {
		if _, err := os.Lstat(filepath.Join(gitDir, op.file)); err == nil {
			return inputErrorf("--commit: %s is in progress (%s); finish or abort it with git first", op.what, op.file)
		}
	}
	return nil
}

// Root is the working tree's root folder.
func (c *Checkout) Root() string { return c.root }

// Built is what a build wrote: the owned folder, its files (as
// write.ReadOwned reads them back) and the environments file as the build
// read it, whose SHA-256 goes into the message.
type Built struct {
	Dir   string
	Files map[string][]byte
	Input []byte
	// Envs are the environments a --env build rebuilt; empty: all of them.
	Envs []string
}

// Commit commits the owned folder b.Dir as the build wrote it: the files apkgen
// wrote replace the folder's entries of HEAD's tree, clusters/*/flux-system
// keeps what HEAD has, and nothing outside the folder changes. The index
// gets the folder's new entries; every other entry, staged or not, stays as
// it was. When the tree equals HEAD's, nothing is committed and the Result
// is Empty; the folder's index entries are then HEAD's too.
func (c *Checkout) Commit(b Built) (*Result, error) {
	res, err := c.commit(b)
	if err != nil {
		return nil, c.sec.wrap(err, "committing")
	}
	return res, nil
}

func (c *Checkout) commit(b Built) (*Result, error) {
	dir := b.Dir
	prefix, err := PathIn(c.root, dir)
	if err != nil {
		return nil, err
	}
	st := c.repo.Storer
	// The index is locked first, as git commit does: the index read is
	// the one replaced, and if it cannot be, nothing is committed.
	idxLock, err := c.lock("index")
	if err != nil {
		return nil, err
	}
	defer idxLock.release()
	idx, err := st.Index()
	if err != nil {
		return nil, err
	}
	target, cur, parentTree, err := c.head()
	if err != nil {
		return nil, err
	}
	var parents []plumbing.Hash
	if cur != nil {
		parents = []plumbing.Hash{cur.Hash()}
	}
	if err := noConflicts(idx); err != nil { // the index may have changed since Open
		return nil, err
	}

	old, oldTrees, err := ownedEntries(st, parentTree, prefix)
	if err != nil {
		return nil, err
	}
	d := diffHead(old, b.Files)
	if err := d.onlyEnvs(b.Envs, prefix); err != nil {
		return nil, err
	}
	next := map[string]entry{}
	for p, e := range old {
		if write.Preserved(p) {
			next[p] = e
		}
	}
	for p := range b.Files {
		next[p] = entry{mode: filemode.Regular, hash: d.hashes[p]}
	}
	// A file as HEAD has it is a blob the repository holds: only the added
	// and modified ones are looked up and stored (a build of 1000
	// environments writes about 9,000 files, and one lookup opens a file).
	for _, p := range slices.Concat(d.added, d.modified) {
		if err := storeBlob(st, b.Files[p], d.hashes[p]); err != nil {
			return nil, err
		}
	}
	branch := branchName(target)
	res := finish(&Result{Branch: branch, LocalBranch: branch, Added: d.added, Modified: d.modified, Removed: d.removed}, prefix)
	newIdx, encoded, err := c.ownedIndex(idx, prefix, dir, next)
	if err != nil {
		return nil, err
	}
	if len(res.Added)+len(res.Modified)+len(res.Removed) == 0 {
		// Nothing to commit, but the index may still hold what the user
		// staged in the folder (a deletion, a hand edit) that the build
		// has just undone on disk: it ends as HEAD's, as after a commit.
		if !sameOwned(idx, newIdx, prefix) {
			if err := writeIndex(idxLock, encoded); err != nil {
				return nil, fmt.Errorf("updating the index: %w", err)
			}
		}
		return res, nil // Empty
	}
	owned, err := writeTree(st, next, oldTrees)
	if err != nil {
		return nil, err
	}
	rootTree, err := splice(st, parentTree, strings.Split(prefix, "/"), owned)
	if err != nil {
		return nil, err
	}

	now := time.Now()
	commit := &object.Commit{
		Author:       object.Signature{Name: c.s.author.Name, Email: c.s.author.Email, When: now},
		Committer:    object.Signature{Name: c.s.committer.Name, Email: c.s.committer.Email, When: now},
		Message:      message(res, prefix, c.s, b.Input),
		TreeHash:     rootTree,
		ParentHashes: parents,
	}
	if c.s.key != nil {
		if err := sign(commit, c.s.key); err != nil {
			return nil, fmt.Errorf("signing the commit: %w", err)
		}
	}
	obj := st.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return nil, err
	}
	hash, err := st.SetEncodedObject(obj)
	if err != nil {
		return nil, err
	}

	reflog := "commit: "
	if cur == nil {
		reflog = "commit (initial): "
	}
	reflog += strings.SplitN(commit.Message, "\n", 2)[0]
	if err := c.updateRef(target, cur, hash, c.s.committer, now, reflog); err != nil {
		return nil, fmt.Errorf("updating %s: %w (nothing was committed)", target, err)
	}
	if err := writeIndex(idxLock, encoded); err != nil {
		return nil, fmt.Errorf("commit %s made, but updating the index failed: %w; run git reset -- %s", hash, err, prefix)
	}
	res.Commit = hash.String()
	return res, nil
}

// tip is where a commit goes, HEAD's branch or HEAD itself when detached,
// and the branch's reference (nil before the first commit).
func (c *Checkout) tip() (target plumbing.ReferenceName, cur *plumbing.Reference, err error) {
	st := c.repo.Storer
	head, err := st.Reference(plumbing.HEAD)
	if err != nil {
		return "", nil, err
	}
	target = plumbing.HEAD
	if head.Type() == plumbing.SymbolicReference {
		target = head.Target()
	}
	cur, err = st.Reference(target)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return target, nil, nil
	}
	return target, cur, err
}

// head is tip and the tree the commit starts from (nil before the first
// commit).
func (c *Checkout) head() (target plumbing.ReferenceName, cur *plumbing.Reference, t *object.Tree, err error) {
	if target, cur, err = c.tip(); err != nil || cur == nil {
		return target, cur, nil, err
	}
	parent, err := object.GetCommit(c.repo.Storer, cur.Hash())
	if err != nil {
		return "", nil, nil, err
	}
	t, err = parent.Tree()
	return target, cur, t, err
}

// ownedEntries lists the entries of tree t (nil: none) in the owned folder
// prefix, by path relative to it, and the hash of each of its trees by
// folder path ("" is the owned folder's own).
func ownedEntries(st storer.EncodedObjectStorer, t *object.Tree, prefix string) (map[string]entry, map[string]plumbing.Hash, error) {
	old, trees := map[string]entry{}, map[string]plumbing.Hash{}
	if t == nil {
		return old, trees, nil
	}
	sub, err := t.Tree(prefix)
	if errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return old, trees, nil
	}
	if err != nil {
		return nil, nil, err
	}
	trees[""] = sub.Hash
	return old, trees, flatten(st, sub, "", old, trees)
}

// Check refuses, before the build writes anything, what Commit would
// refuse of it: an owned folder outside the repository, and (--env) other
// environments' changes. b.Files is the tree the build is about to write.
func (c *Checkout) Check(b Built) error {
	prefix, err := PathIn(c.root, b.Dir)
	if err != nil {
		return err
	}
	target, _, err := c.tip()
	if err != nil {
		return c.sec.wrap(err, "reading HEAD")
	}
	if err := c.locked("index", "HEAD", string(target)); err != nil {
		return err
	}
	if len(b.Envs) == 0 {
		return nil // HEAD's tree is needed only for --env
	}
	_, _, t, err := c.head()
	if err != nil {
		return c.sec.wrap(err, "reading HEAD")
	}
	old, _, err := ownedEntries(c.repo.Storer, t, prefix)
	if err != nil {
		return c.sec.wrap(err, "reading HEAD")
	}
	return diffHead(old, b.Files).onlyEnvs(b.Envs, prefix)
}

// headDiff is how the files of a build differ from HEAD's owned folder,
// by path relative to it: what a commit of them changes.
type headDiff struct {
	head                     map[string]entry         // HEAD's folder
	hashes                   map[string]plumbing.Hash // each file's blob
	added, modified, removed []string
}

// diffHead compares files, the folder as the build wrote it, with old,
// HEAD's folder. The preserved folders (clusters/*/flux-system) are not
// the build's: a commit keeps HEAD's, so they are never removed.
func diffHead(old map[string]entry, files map[string][]byte) *headDiff {
	d := &headDiff{head: old, hashes: make(map[string]plumbing.Hash, len(files))}
	for p, data := range files {
		h := plumbing.ComputeHash(plumbing.BlobObject, data)
		d.hashes[p] = h
		switch o, ok := old[p]; {
		case !ok:
			d.added = append(d.added, p)
		case o.mode != filemode.Regular || o.hash != h:
			d.modified = append(d.modified, p)
		}
	}
	for p := range old {
		if _, ok := files[p]; !ok && !write.Preserved(p) {
			d.removed = append(d.removed, p)
		}
	}
	return d
}

// onlyEnvs refuses a --env build (of envs) whose commit would change
// files the build did not write: other environments' files and the
// README, which it keeps as they are on disk. Committed with the named
// environments, a hand edit or a full build not committed yet would roll
// the other environments out too.
func (d *headDiff) onlyEnvs(envs []string, prefix string) error {
	if len(envs) == 0 {
		return nil
	}
	kept := func(p string) bool {
		if p == generate.ReadmeFile {
			// The build keeps the README on disk and writes one only where
			// there is none: where HEAD has none, it is the build's own.
			_, ok := d.head[p]
			return ok
		}
		env := generate.EnvOf(p)
		return env != "" && !slices.Contains(envs, env)
	}
	var changed []string
	for _, p := range slices.Concat(d.added, d.modified, d.removed) {
		if kept(p) {
			changed = append(changed, path.Join(prefix, p))
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Strings(changed)
	list := changed
	if len(list) > 10 {
		list = append(list[:10:10], fmt.Sprintf("and %d more", len(changed)-10))
	}
	return inputErrorf("--env %s: files this build does not rebuild differ from HEAD, and the commit would take them along: %s; "+
		"commit them first (a build with --commit and without --env), or put them back as HEAD has them (git restore --source=HEAD --staged --worktree -- FILE...)",
		strings.Join(slices.Compact(slices.Sorted(slices.Values(envs))), ", "), strings.Join(list, ", "))
}

// ChangeReport is the Result of a change that was not committed: the
// paths, relative to the owned folder prefix, made relative to the
// repository root, and the environments they belong to.
func ChangeReport(prefix string, added, modified, removed []string) *Result {
	return finish(&Result{
		Added:    append([]string(nil), added...),
		Modified: append([]string(nil), modified...),
		Removed:  append([]string(nil), removed...),
	}, prefix)
}

// finish turns folder-relative paths into repository-relative ones and
// names the environments they belong to.
func finish(res *Result, prefix string) *Result {
	envs := map[string]bool{}
	readme := false
	for _, list := range []*[]string{&res.Added, &res.Modified, &res.Removed} {
		for i, p := range *list {
			env := generate.EnvOf(p)
			if env == "" {
				env = "shared"
			}
			// The tree's README summarises the environments: its change
			// follows theirs and names no environment of its own, unless
			// it changed alone (an edit by hand put back).
			if p == generate.ReadmeFile {
				readme = true
			} else {
				envs[env] = true
			}
			(*list)[i] = path.Join(prefix, p)
		}
		if *list == nil {
			*list = []string{}
		}
		sort.Strings(*list)
	}
	if readme && len(envs) == 0 {
		envs["shared"] = true
	}
	res.ChangedEnvironments = []string{}
	for e := range envs {
		res.ChangedEnvironments = append(res.ChangedEnvironments, e)
	}
	sort.Strings(res.ChangedEnvironments)
	return res
}

func branchName(ref plumbing.ReferenceName) string {
	if ref == plumbing.HEAD {
		return "HEAD"
	}
	return ref.Short()
}

// message names the environments that changed and ends with the trailers
// that say where the commit comes from.
func message(res *Result, prefix string, s *signer, input []byte) string {
	names := res.ChangedEnvironments
	subject := strings.Join(names, ", ")
	if len(names) > 5 {
		subject = fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apkgen: update %s\n\n", subject)
	fmt.Fprintf(&b, "Generated by apkgen from %s into %s/: %s.\n",
		s.input.name, prefix, tree.Counts(len(res.Added), len(res.Modified), len(res.Removed)))
	if len(names) > 5 {
		fmt.Fprintf(&b, "Changed: %s.\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "\nApkgen-Version: %s\nApkgen-Input-SHA256: %x\n", s.version, sha256.Sum256(input))
	// The commit names the input only if it holds these very bytes.
	if s.input.commit != "" && s.input.blob == plumbing.ComputeHash(plumbing.BlobObject, input) {
		fmt.Fprintf(&b, "Apkgen-Input-Commit: %s\n", s.input.commit)
	}
	return b.String()
}

// ownedIndex is the user's index with the owned folder's entries replaced
// by the new tree's (stat data from disk, so that git sees them clean).
func (c *Checkout) ownedIndex(idx *index.Index, prefix, dir string, next map[string]entry) (*index.Index, []byte, error) {
	// go-git writes no index extensions (the tree cache, resolve-undo):
	// git rebuilds the tree cache, and a conflict-free index has no
	// resolve-undo worth keeping.
	out := &index.Index{Version: idx.Version}
	for _, e := range idx.Entries {
		if rel, ok := strings.CutPrefix(e.Name, prefix+"/"); ok && !write.Preserved(rel) {
			continue
		}
		out.Entries = append(out.Entries, e)
	}
	for p, e := range next {
		if write.Preserved(p) {
			continue
		}
		ie := &index.Entry{Name: prefix + "/" + p, Hash: e.hash, Mode: e.mode}
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			ie.ModifiedAt, ie.CreatedAt, ie.Size = fi.ModTime(), fi.ModTime(), uint32(fi.Size())
		}
		out.Entries = append(out.Entries, ie)
	}
	// Encoded now (which also sorts the entries): an index that cannot be
	// written fails here, before the commit is made, not after it.
	var encoded bytes.Buffer
	if err := index.NewEncoder(&encoded).Encode(out); err != nil {
		return nil, nil, fmt.Errorf("the index cannot be rewritten: %w", err)
	}
	return out, encoded.Bytes(), nil
}

// sameOwned reports whether two indexes have the same entries (path,
// blob, mode) in the owned folder prefix.
func sameOwned(a, b *index.Index, prefix string) bool {
	owned := func(idx *index.Index) map[string]entry {
		m := map[string]entry{}
		for _, e := range idx.Entries {
			if strings.HasPrefix(e.Name, prefix+"/") {
				m[e.Name] = entry{mode: e.Mode, hash: e.Hash}
			}
		}
		return m
	}
	return maps.Equal(owned(a), owned(b))
}

type entry struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

// flatten lists a tree's entries by path into out, and its trees' hashes
// into trees; the preserved folders (clusters/*/flux-system) are listed
// whole, as one entry.
func flatten(s storer.EncodedObjectStorer, t *object.Tree, dir string, out map[string]entry, trees map[string]plumbing.Hash) error {
	for _, e := range t.Entries {
		p := path.Join(dir, e.Name)
		if e.Mode == filemode.Dir && !write.Preserved(p) {
			sub, err := object.GetTree(s, e.Hash)
			if err != nil {
				return err
			}
			trees[p] = e.Hash
			if err := flatten(s, sub, p, out, trees); err != nil {
				return err
			}
			continue
		}
		out[p] = entry{mode: e.Mode, hash: e.Hash}
	}
	return nil
}

// storeBlob stores b, whose blob hash is h, unless the repository has it.
func storeBlob(s storer.EncodedObjectStorer, b []byte, h plumbing.Hash) error {
	if s.HasEncodedObject(h) == nil {
		return nil
	}
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(b)))
	w, err := obj.Writer()
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	_, err = s.SetEncodedObject(obj)
	return err
}

// writeTree stores the trees for entries (paths relative to the tree) and
// returns the top one's hash. A tree whose hash is that of the tree HEAD
// has at its path (have, by path; "" is the top) is not stored again:
// go-git writes every object it is given, compressed, to a file of its own.
func writeTree(s storer.EncodedObjectStorer, entries map[string]entry, have map[string]plumbing.Hash) (plumbing.Hash, error) {
	return writeTreeAt(s, "", entries, have)
}

func writeTreeAt(s storer.EncodedObjectStorer, dir string, entries map[string]entry, have map[string]plumbing.Hash) (plumbing.Hash, error) {
	t := &object.Tree{}
	subs := map[string]map[string]entry{}
	for p, e := range entries {
		name, rest, nested := strings.Cut(p, "/")
		if !nested {
			t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: e.mode, Hash: e.hash})
			continue
		}
		if subs[name] == nil {
			subs[name] = map[string]entry{}
		}
		subs[name][rest] = e
	}
	for name, sub := range subs {
		h, err := writeTreeAt(s, path.Join(dir, name), sub, have)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		t.Entries = append(t.Entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	return storeTree(s, t, have[dir])
}

// splice returns the hash of tree t with the entry at path parts replaced
// by the folder owned (t may be nil: an empty tree).
func splice(s storer.EncodedObjectStorer, t *object.Tree, parts []string, owned plumbing.Hash) (plumbing.Hash, error) {
	out := &object.Tree{}
	var found *object.TreeEntry
	if t != nil {
		for i, e := range t.Entries {
			if e.Name == parts[0] {
				found = &t.Entries[i]
				continue
			}
			out.Entries = append(out.Entries, e)
		}
	}
	h := owned
	if len(parts) > 1 {
		var child *object.Tree
		if found != nil && found.Mode == filemode.Dir {
			var err error
			if child, err = object.GetTree(s, found.Hash); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		var err error
		if h, err = splice(s, child, parts[1:], owned); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	out.Entries = append(out.Entries, object.TreeEntry{Name: parts[0], Mode: filemode.Dir, Hash: h})
	return storeTree(s, out, plumbing.ZeroHash)
}

// storeTree sorts the entries the way git does (a folder sorts as if its
// name ended in "/") and stores the tree, unless its hash is have (a tree
// the repository holds).
func storeTree(s storer.EncodedObjectStorer, t *object.Tree, have plumbing.Hash) (plumbing.Hash, error) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(t.Entries, func(i, j int) bool { return key(t.Entries[i]) < key(t.Entries[j]) })
	obj := s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	if h := obj.Hash(); h == have {
		return h, nil
	}
	return s.SetEncodedObject(obj)
}
