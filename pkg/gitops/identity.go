package gitops

import (
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/config"
)

// Identity is a commit's author or committer.
type Identity struct{ Name, Email string }

func (id Identity) String() string { return id.Name + " <" + id.Email + ">" }

func (id Identity) ok() bool { return id.Name != "" && id.Email != "" }

var identityRe = regexp.MustCompile(`^\s*([^<>]*?)\s*<([^<>\s]+)>\s*$`)

// parseIdentity reads "Name <email>".
func parseIdentity(s string) (Identity, error) {
	m := identityRe.FindStringSubmatch(s)
	if m == nil || m[1] == "" {
		return Identity{}, inputErrorf("%q: want an identity of the form \"Name <email>\"", s)
	}
	return Identity{Name: m[1], Email: m[2]}, nil
}

// resolveIdentities finds the author and the committer, each from its flag,
// then its GIT_AUTHOR_* / GIT_COMMITTER_* variables, then user.name and
// user.email of the git configuration (the repository's, then the global
// one: cfg is what go-git's ConfigScoped(GlobalScope) returns). One that is
// still missing takes the other's identity; none at all is an InputError.
func resolveIdentities(authorFlag, committerFlag string, env Getenv, cfg *config.Config) (author, committer Identity, err error) {
	pick := func(flag, kind string) (Identity, error) {
		if flag != "" {
			return parseIdentity(flag)
		}
		id := Identity{Name: env.get("GIT_" + kind + "_NAME"), Email: env.get("GIT_" + kind + "_EMAIL")}
		if cfg != nil {
			if id.Name == "" {
				id.Name = cfg.User.Name
			}
			if id.Email == "" {
				id.Email = cfg.User.Email
			}
		}
		id.Name, id.Email = strings.TrimSpace(id.Name), strings.TrimSpace(id.Email)
		return id, nil
	}
	if author, err = pick(authorFlag, "AUTHOR"); err != nil {
		return
	}
	if committer, err = pick(committerFlag, "COMMITTER"); err != nil {
		return
	}
	switch {
	case author.ok() && !committer.ok():
		committer = author
	case committer.ok() && !author.ok():
		author = committer
	case !author.ok():
		err = inputErrorf("no identity to commit with: pass --author \"Name <email>\", " +
			"set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, or set user.name and user.email in the git configuration")
	}
	return
}
