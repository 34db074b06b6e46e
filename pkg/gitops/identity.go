package gitops

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// identitySource gives the identity of kind, "AUTHOR" or "COMMITTER", when
// no flag does; when it has none, why may say what is wrong.
type identitySource func(kind string) (id Identity, why string)

// resolveIdentities finds the author and the committer, each from its flag,
// then from. One that is still missing takes the other's identity; none at
// all is an InputError.
func resolveIdentities(authorFlag, committerFlag string, from identitySource) (author, committer Identity, err error) {
	var why string
	pick := func(flag, kind string) (Identity, error) {
		if flag != "" {
			return parseIdentity(flag)
		}
		id, w := from(kind)
		if why == "" {
			why = w
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
		if why != "" {
			why = " (" + why + ")"
		}
		err = inputErrorf("no identity to commit with: pass --author \"Name <email>\", "+
			"set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, or set user.name and user.email in the git configuration%s", why)
	}
	return
}

// identities picks the source: git itself where it is installed, else
// what go-git reads of the configuration (cfg).
func identities(o *Options, gitDir string, cfg *config.Config) (author, committer Identity, err error) {
	from := fromGit(gitDir, o.Env)
	if from == nil {
		from = fromConfig(o.Env, cfg)
	}
	return resolveIdentities(o.Author, o.Committer, from)
}

// fromConfig is GIT_<kind>_NAME and GIT_<kind>_EMAIL, then user.name and
// user.email of cfg (go-git's ConfigScoped(GlobalScope): the repository's,
// then the global one). go-git reads no include, includeIf or
// GIT_CONFIG_* variable: this is for where git is not installed.
func fromConfig(env Getenv, cfg *config.Config) identitySource {
	return func(kind string) (Identity, string) {
		id := Identity{Name: env.get("GIT_" + kind + "_NAME"), Email: env.get("GIT_" + kind + "_EMAIL")}
		if cfg != nil {
			if id.Name == "" {
				id.Name = cfg.User.Name
			}
			if id.Email == "" {
				id.Email = cfg.User.Email
			}
		}
		return id, ""
	}
}

// identVars are the variables git var reads for an identity; they come
// from Options.Env, the rest of git's environment from the process's.
var identVars = []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"}

// gitIdentRe is git var's answer, "Name <email> <unix time> <zone>".
var gitIdentRe = regexp.MustCompile(`^(.*) <(.*)> \d+ [+-]\d{4}$`)

// fromGit asks git for the identity git commit would use (git var
// GIT_AUTHOR_IDENT), so that every way git has of configuring it counts:
// include and includeIf, author.* and committer.*, GIT_CONFIG_GLOBAL,
// GIT_CONFIG_COUNT. gitDir is the repository's git folder, "" for none
// (the bot's temporary clone does not exist yet: the global
// configuration only). user.useConfigOnly keeps git from making up an
// identity from the host's name. nil when git is not installed.
func fromGit(gitDir string, env Getenv) identitySource {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil
	}
	return func(kind string) (Identity, string) {
		cmd := exec.Command(bin, "-c", "user.useConfigOnly=true", "var", "GIT_"+kind+"_IDENT")
		// The date is not asked for: a bad GIT_*_DATE must not fail it.
		unset := append([]string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"}, identVars...)
		vars := slices.DeleteFunc(os.Environ(), func(kv string) bool {
			k, _, _ := strings.Cut(kv, "=")
			return slices.Contains(unset, k)
		})
		for _, k := range identVars {
			if v := env.get(k); v != "" {
				vars = append(vars, k+"="+v)
			}
		}
		if gitDir != "" {
			// Named, not found from the current folder: git would ignore
			// a repository another user owns (safe.directory), go-git not.
			vars = append(vars, "GIT_DIR="+gitDir)
		} else {
			dir, err := os.MkdirTemp("", "apkgen-ident-")
			if err != nil {
				return Identity{}, err.Error()
			}
			defer os.RemoveAll(dir)
			cmd.Dir = dir
			vars = append(vars, "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
		}
		cmd.Env = vars
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return Identity{}, lastLine(stderr.String())
		}
		m := gitIdentRe.FindStringSubmatch(strings.TrimSpace(string(out)))
		if m == nil {
			return Identity{}, "git var: " + strings.TrimSpace(string(out))
		}
		return Identity{Name: m[1], Email: m[2]}, ""
	}
}

// lastLine is the last line of git's error output, its reason.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
