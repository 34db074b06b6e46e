package gitops

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/apkgen/apkgen/pkg/write"
)

// RefError is a revision that cannot be read: no Git repository holds the
// folder, or the repository has no such revision. It is the caller's input.
type RefError struct {
	Root, Ref string
	Err       error
}

func (e *RefError) Error() string {
	return fmt.Sprintf("--against %s: %v", e.Ref, e.Err)
}

func (e *RefError) Unwrap() error { return e.Err }

// ReadOwnedAt reads the owned folder, root/gitopsPath, as the Git repository
// that holds root had it at ref (a branch, a tag, a commit or any revision
// go-git resolves, such as HEAD~1). Preserved paths are left out, as in
// ReadOwned; a folder the revision does not have reads as empty.
func ReadOwnedAt(root, gitopsPath, ref string) (map[string][]byte, error) {
	repo, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			err = fmt.Errorf("%s is not inside a Git repository", root)
		}
		return nil, &RefError{Root: root, Ref: ref, Err: err}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, &RefError{Root: root, Ref: ref, Err: err}
	}
	dir := write.Join(root, gitopsPath)
	prefix, ok := within(wt.Filesystem.Root(), dir)
	if !ok {
		return nil, &RefError{Root: root, Ref: ref, Err: fmt.Errorf("%s is outside the repository at %s", dir, realPath(wt.Filesystem.Root()))}
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, &RefError{Root: root, Ref: ref, Err: fmt.Errorf("no such revision (%v)", err)}
	}
	commit, err := repo.CommitObject(*hash)
	if err != nil {
		return nil, &RefError{Root: root, Ref: ref, Err: err}
	}
	t, err := commit.Tree()
	if err != nil {
		return nil, err
	}
	if prefix != "." {
		t, err = t.Tree(prefix)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return map[string][]byte{}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	files := map[string][]byte{}
	err = t.Files().ForEach(func(f *object.File) error {
		if write.Preserved(f.Name) || !f.Mode.IsFile() || f.Mode == filemode.Symlink {
			return nil
		}
		s, err := f.Contents()
		if err != nil {
			return fmt.Errorf("%s at %s: %w", f.Name, ref, err)
		}
		files[f.Name] = []byte(s)
		return nil
	})
	return files, err
}
