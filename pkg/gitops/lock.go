package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// go-git guards the index and the refs with flock, which git ignores: a
// git commit running beside apkgen could overwrite apkgen's index or lose
// its commit. So apkgen takes git's own locks, as git commit does: the
// file <name>.lock, created only if it does not exist, written, then
// renamed over <name>.

// lockFile is a git lock held: what is written to f replaces path when
// committed.
type lockFile struct {
	path string // the file guarded
	f    *os.File
}

// locked returns the error lock would give for the first of names whose
// lock is taken, nil when none is: a build checks before it writes the
// tree, so that it does not rewrite the files another git process works on.
func (c *Checkout) locked(names ...string) error {
	for _, name := range names {
		p, err := c.gitPath(name)
		if err != nil {
			return c.sec.wrap(err, "locating %s", name)
		}
		if _, err := os.Lstat(p + ".lock"); err == nil {
			return lockedError(p, fs.ErrExist)
		}
	}
	return nil
}

func lockedError(p string, err error) error {
	return &Error{msg: fmt.Sprintf("another git process seems to be running: %s.lock exists; remove it if not", p), err: err}
}

// lock takes git's lock of name, a path in the git folder ("index",
// "HEAD", "refs/heads/main"). A lock that is there already belongs to
// another git process: it is left alone, and nothing is done.
func (c *Checkout) lock(name string) (*lockFile, error) {
	p, err := c.gitPath(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p+".lock", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return nil, lockedError(p, err)
	}
	if err != nil {
		return nil, err
	}
	return &lockFile{path: p, f: f}, nil
}

// commit replaces the file guarded by what was written to the lock; if it
// cannot, the lock is given up and the file stays as it was.
func (l *lockFile) commit() error {
	f := l.f
	l.f = nil
	err := f.Close()
	if err == nil {
		err = os.Rename(f.Name(), l.path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// release gives the lock up, the file guarded unchanged (after a commit,
// it does nothing).
func (l *lockFile) release() {
	if l.f != nil {
		l.f.Close()
		os.Remove(l.f.Name())
		l.f = nil
	}
}

// gitPath is where git keeps name, a slash-separated path in the git
// folder. In a linked working tree (git worktree add), HEAD, the index and
// HEAD's reflog are in the tree's own git folder, the refs and the rest in
// the folder all trees share (commondir). go-git's storage reads and
// writes through a filesystem that maps names so (Open enables
// EnableDotGitCommonDir); it tells no path, but its Chroot at name is
// rooted at the file. At name itself, not at its folder: "logs" is the
// common folder's, "logs/HEAD" the tree's own.
func (c *Checkout) gitPath(name string) (string, error) {
	at, err := c.repo.Storer.(*filesystem.Storage).Filesystem().Chroot(filepath.FromSlash(name))
	if err != nil {
		return "", err
	}
	return at.Root(), nil
}

// writeIndex writes an encoded index under the index's lock l and commits it.
func writeIndex(l *lockFile, encoded []byte) error {
	if _, err := l.f.Write(encoded); err != nil {
		return err
	}
	return l.commit()
}

// updateRef moves target (HEAD's branch, or HEAD when detached) from cur
// (nil: none yet) to hash, as git commit does: under the branch's lock and
// HEAD's, checking that neither moved meanwhile, with an entry in both
// reflogs saying msg.
func (c *Checkout) updateRef(target plumbing.ReferenceName, cur *plumbing.Reference, hash plumbing.Hash, who Identity, when time.Time, msg string) error {
	head, err := c.lock("HEAD")
	if err != nil {
		return err
	}
	defer head.release()
	ref := head
	if target != plumbing.HEAD {
		if ref, err = c.lock(target.String()); err != nil {
			return err
		}
		defer ref.release()
	}
	nowTarget, now, err := c.tip()
	if err != nil {
		return err
	}
	if nowTarget != target || hashOf(now) != hashOf(cur) {
		return fmt.Errorf("%s moved while apkgen was committing", branchName(target))
	}
	if _, err := fmt.Fprintf(ref.f, "%s\n", hash); err != nil {
		return err
	}
	var sig bytes.Buffer // "Name <email> unix-time zone", as in a commit
	if err := (&object.Signature{Name: who.Name, Email: who.Email, When: when}).Encode(&sig); err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s %s\t%s\n", hashOf(cur), hash, sig.Bytes(), msg)
	logs := []plumbing.ReferenceName{plumbing.HEAD}
	if target != plumbing.HEAD {
		logs = append(logs, target)
	}
	create := c.logAllRefUpdates()
	for _, name := range logs {
		if err := c.appendReflog(name, line, create); err != nil {
			return err
		}
	}
	return ref.commit()
}

// appendReflog adds line to the reflog of name, creating it when create
// (core.logAllRefUpdates: git's default in a working tree is to keep the
// reflogs of HEAD and of branches).
func (c *Checkout) appendReflog(name plumbing.ReferenceName, line string, create bool) error {
	p, err := c.gitPath("logs/" + name.String())
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_APPEND
	if create {
		flags |= os.O_CREATE
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p, flags, 0o666)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no reflog kept
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// hashOf is ref's hash, zero for none.
func hashOf(ref *plumbing.Reference) plumbing.Hash {
	if ref == nil {
		return plumbing.ZeroHash
	}
	return ref.Hash()
}

func (c *Checkout) logAllRefUpdates() bool {
	cfg, err := c.repo.Config()
	if err != nil {
		return true
	}
	switch strings.ToLower(cfg.Raw.Section("core").Option("logallrefupdates")) {
	case "false", "no", "off", "0":
		return false
	}
	return true
}
