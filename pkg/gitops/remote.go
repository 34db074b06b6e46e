package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	format "github.com/go-git/go-git/v5/plumbing/format/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/file"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// RemoteOptions say which remote branch the bot builds on and pushes.
type RemoteOptions struct {
	URL    string // the GitOps repository
	Branch string // the branch to commit to; created from Base when missing
	Base   string // the branch to start from; empty: the remote's default branch
	Push   bool   // false: build and commit in the temporary clone only
	// Build writes the tree into the working tree at root and says what it
	// wrote. It runs again on every retry.
	Build func(root string) (Built, error)
	// Attempts is how many pushes are tried before giving up (0: 5);
	// Backoff is the first wait between them (0: 500ms), doubled each time,
	// with jitter.
	Attempts int
	Backoff  time.Duration
}

// Publish is the bot's path: fetch Branch (or Base) of URL shallowly into a
// temporary folder, build there, commit, and push Branch. A push rejected
// because Branch moved on the remote meanwhile starts over on the new head,
// up to Attempts times; nothing is ever force-pushed. Credentials come from
// the environment (see Auth).
func Publish(ctx context.Context, r RemoteOptions, o Options) (*Result, error) {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Backoff <= 0 {
		r.Backoff = 500 * time.Millisecond
	}
	if err := checkBranch("--branch", r.Branch); err != nil {
		return nil, err
	}
	if r.Base != "" {
		if err := checkBranch("--base", r.Base); err != nil {
			return nil, err
		}
	}
	auth, list, err := Auth(r.URL, o.Env)
	if err != nil {
		return nil, err
	}
	sec := secrets(list)
	cfg, err := config.LoadConfig(config.GlobalScope)
	if err != nil {
		return nil, sec.wrap(err, "reading the global git configuration")
	}
	s, err := prepare(&o, "", cfg)
	if err != nil {
		return nil, err
	}
	p := &publisher{r: r, o: o, s: s, auth: auth, sec: sec, shown: Redact(r.URL, sec...), url: withoutUserinfo(r.URL)}
	for attempt := 1; ; attempt++ {
		res, raced, err := p.once(ctx)
		if err != nil || !raced {
			return res, err
		}
		if attempt == r.Attempts {
			return nil, &Error{msg: fmt.Sprintf("pushing %s to %s: the branch moved on the remote during each of %d attempts; giving up (nothing was force-pushed)",
				r.Branch, p.shown, r.Attempts)}
		}
		wait := r.Backoff << (attempt - 1)
		wait += rand.N(wait) // jitter: racing bots do not retry in step
		o.log("apkgen: %s moved on %s while pushing; rebuilding on its new head in %s (attempt %d of %d)",
			r.Branch, p.shown, wait.Round(time.Millisecond), attempt+1, r.Attempts)
		select {
		case <-ctx.Done():
			return nil, sec.wrap(ctx.Err(), "pushing %s to %s", r.Branch, p.shown)
		case <-time.After(wait):
		}
	}
}

type publisher struct {
	r     RemoteOptions
	o     Options
	s     *signer
	auth  transport.AuthMethod
	sec   secrets
	shown string // the URL, redacted
	url   string // the URL without credentials (they are in auth)
}

// withoutUserinfo drops the credentials of an http(s) URL, so that they are
// not written into the temporary clone's configuration.
func withoutUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// once is one attempt; raced says the push lost a race and may be retried.
func (p *publisher) once(ctx context.Context) (res *Result, raced bool, err error) {
	dir, err := os.MkdirTemp("", "apkgen-repo-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(dir)
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		return nil, false, p.sec.wrap(err, "creating a repository in %s", dir)
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{p.url}})
	if err != nil {
		return nil, false, p.sec.wrap(err, "adding the remote %s", p.shown)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: p.auth})
	if err != nil && !errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil, false, p.sec.wrap(err, "reading %s%s", p.shown, hint(err, ""))
	}
	branch := plumbing.NewBranchReferenceName(p.r.Branch)
	src, expected, err := pickSource(refs, branch, p.r.Base, p.shown)
	if err != nil {
		return nil, false, err
	}
	if src == "" {
		p.o.log("apkgen: %s is empty; %s starts with a first commit", p.shown, p.r.Branch)
		if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branch)); err != nil {
			return nil, false, err
		}
	} else if err := p.checkout(ctx, repo, src, branch); err != nil {
		return nil, false, err
	}

	built, err := p.r.Build(dir)
	if err != nil {
		return nil, false, err
	}
	co := &Checkout{repo: repo, root: realPath(dir), s: p.s, o: p.o, sec: p.sec}
	if res, err = co.Commit(built); err != nil {
		return nil, false, err
	}
	if res.Empty() || !p.r.Push {
		return res, false, nil
	}
	var progress bytes.Buffer
	err = repo.PushContext(ctx, &git.PushOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec(branch + ":" + branch)},
		Auth:       p.auth,
		Progress:   &progress,
	})
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		res.Pushed = true
		return res, false, nil
	}
	// Did the branch move on the remote since we fetched it? Then the push
	// lost a race: start over on the new head. Otherwise it is a failure.
	now, lerr := remoteHash(ctx, remote, p.auth, branch)
	switch {
	case lerr == nil && now.String() == res.Commit:
		res.Pushed = true // the push went through; only its answer was lost
		return res, false, nil
	case lerr == nil && now != expected:
		return nil, true, nil
	}
	err = p.sec.wrap(err, "pushing %s to %s%s", p.r.Branch, p.shown, hint(err, "the remote rejected the push"))
	return nil, false, withRemoteMessages(err, &progress, p.sec)
}

// checkout fetches src (one commit deep) and checks it out as branch.
func (p *publisher) checkout(ctx context.Context, repo *git.Repository, src, branch plumbing.ReferenceName) error {
	origin, err := repo.Remote(remoteName)
	if err != nil {
		return err
	}
	err = fetchBranch(ctx, origin, src, 1, p.auth)
	if err != nil && strings.Contains(err.Error(), "unsupported capability: shallow") {
		// go-git's own server (file:// without git) has no shallow fetch.
		err = fetchBranch(ctx, origin, src, 0, p.auth)
	}
	if err != nil {
		return p.sec.wrap(err, "fetching %s from %s%s", src.Short(), p.shown, hint(err, ""))
	}
	ref, err := repo.Storer.Reference(plumbing.NewRemoteReferenceName(remoteName, src.Short()))
	if err != nil {
		return p.sec.wrap(err, "fetching %s from %s", src.Short(), p.shown)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(branch, ref.Hash())); err != nil {
		return err
	}
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branch)); err != nil {
		return err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: ref.Hash(), Mode: git.HardReset}); err != nil {
		return p.sec.wrap(err, "checking out %s", src.Short())
	}
	return nil
}

// pickSource chooses what to build on: branch itself when the remote has
// it, else base, else the remote's default branch. expected is the remote
// hash of branch (zero when it does not exist yet); src is empty for an
// empty remote.
func pickSource(refs []*plumbing.Reference, branch plumbing.ReferenceName, base, shown string) (src plumbing.ReferenceName, expected plumbing.Hash, err error) {
	byName := map[plumbing.ReferenceName]*plumbing.Reference{}
	var branches []*plumbing.Reference
	for _, r := range refs {
		byName[r.Name()] = r
		if r.Name().IsBranch() && r.Type() == plumbing.HashReference {
			branches = append(branches, r)
		}
	}
	if r, ok := byName[branch]; ok && r.Type() == plumbing.HashReference {
		return branch, r.Hash(), nil
	}
	if len(branches) == 0 {
		return "", plumbing.ZeroHash, nil
	}
	if base != "" {
		name := plumbing.NewBranchReferenceName(base)
		if _, ok := byName[name]; !ok {
			return "", plumbing.ZeroHash, inputErrorf("--base %s: %s has no such branch", base, shown)
		}
		return name, plumbing.ZeroHash, nil
	}
	if head, ok := byName[plumbing.HEAD]; ok {
		if head.Type() == plumbing.SymbolicReference {
			if _, ok := byName[head.Target()]; ok {
				return head.Target(), plumbing.ZeroHash, nil
			}
		} else {
			var same []plumbing.ReferenceName
			for _, b := range branches {
				if b.Hash() == head.Hash() {
					same = append(same, b.Name())
				}
			}
			for _, n := range same {
				if n == "refs/heads/main" || n == "refs/heads/master" || len(same) == 1 {
					return n, plumbing.ZeroHash, nil
				}
			}
		}
	}
	return "", plumbing.ZeroHash, inputErrorf("--branch %s does not exist on %s and its default branch is unknown: pass --base", branch.Short(), shown)
}

// remoteHash is the remote's hash of ref now (zero when it has none).
func remoteHash(ctx context.Context, remote *git.Remote, auth transport.AuthMethod, ref plumbing.ReferenceName) (plumbing.Hash, error) {
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for _, r := range refs {
		if r.Name() == ref && r.Type() == plumbing.HashReference {
			return r.Hash(), nil
		}
	}
	return plumbing.ZeroHash, nil
}

// checkBranch refuses a branch name git would not take, given as flag.
func checkBranch(flag, name string) error {
	if name == "" || plumbing.NewBranchReferenceName(name).Validate() != nil {
		return inputErrorf("%s %q: not a valid branch name", flag, name)
	}
	return nil
}

// PushTarget is where a push goes, checked before anything is committed.
type PushTarget struct {
	local, dst plumbing.ReferenceName
	// remote is origin with the one URL pushed to, which the push, the
	// look at the remote's branch after a failure, and messages all use.
	remote *git.Remote
	auth   transport.AuthMethod
	sec    secrets
}

// PushTarget checks what a push needs (a branch checked out, a valid
// destination branch, the remote, usable credentials) and returns where it
// goes: branch of origin, or HEAD's branch's name when branch is "". The
// CLI calls it before building, so that a push that cannot happen commits
// nothing, and pushes to what it returned.
func (c *Checkout) PushTarget(branch string) (*PushTarget, error) {
	head, err := c.repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return nil, c.sec.wrap(err, "reading HEAD")
	}
	if head.Type() != plumbing.SymbolicReference {
		return nil, inputErrorf("--push: HEAD is detached; check out a branch first")
	}
	t := &PushTarget{local: head.Target()}
	if branch == "" {
		branch = t.local.Short()
	}
	if err := checkBranch("--branch", branch); err != nil {
		return nil, err
	}
	t.dst = plumbing.NewBranchReferenceName(branch)
	origin, err := c.repo.Remote(remoteName)
	if err != nil {
		return nil, inputErrorf("--push: the repository has no remote %q", remoteName)
	}
	url, err := c.pushURL(remoteName)
	if err != nil {
		return nil, err
	}
	if t.auth, t.sec, err = Auth(url, c.o.Env); err != nil {
		return nil, err
	}
	// Fetch keeps origin's refspecs: a push updates origin/<branch>.
	t.remote = git.NewRemote(c.repo.Storer, &config.RemoteConfig{Name: remoteName, URLs: []string{url}, Fetch: origin.Config().Fetch})
	return t, nil
}

// pushURL is where git pushes the remote name. git pushes to each of
// several; apkgen, which reports one push, refuses them. A relative path
// is one from the working tree's root, as git reads it.
func (c *Checkout) pushURL(name string) (string, error) {
	local, err := c.repo.Config()
	if err != nil {
		return "", c.sec.wrap(err, "reading the git configuration")
	}
	global, err := config.LoadConfig(config.GlobalScope)
	if err != nil {
		return "", c.sec.wrap(err, "reading the global git configuration")
	}
	urls := pushURLs(local.Raw.Section("remote").Subsection(name).Options, readURLRules(global.Raw, local.Raw))
	switch {
	case len(urls) == 0:
		return "", inputErrorf("--push: remote %q has no url", name)
	case len(urls) > 1:
		return "", inputErrorf("--push: remote %q has %d push URLs (%s); apkgen pushes to one: leave one pushurl (or url)",
			name, len(urls), Redact(strings.Join(urls, ", ")))
	}
	url := urls[0]
	if ep, err := transport.NewEndpoint(url); err == nil && ep.Protocol == "file" && !strings.Contains(url, "://") && !filepath.IsAbs(url) {
		url = filepath.Join(c.root, url)
	}
	return url, nil
}

// pushURLs are the URLs git pushes a remote to, from its section, as git's
// remote.c reads them: its pushurl values, rewritten by insteadOf; else
// its url values that a pushInsteadOf rewrites, rewritten so; else its url
// values, rewritten by insteadOf. go-git's RemoteConfig.URLs mixes url and
// pushurl in one list, and its rewrite knows neither pushInsteadOf nor a
// section's second insteadOf (and takes a section with only pushInsteadOf
// for one rewriting every URL): the section and the rules are read here.
func pushURLs(remote format.Options, rules urlRules) []string {
	if pushurls := remote.GetAll("pushurl"); len(pushurls) > 0 {
		return rewriteEach(pushurls, rules.insteadOf)
	}
	urls := remote.GetAll("url")
	var pushed []string
	for _, u := range urls {
		if p, ok := rewrite(u, rules.pushInsteadOf); ok {
			pushed = append(pushed, p)
		}
	}
	if len(pushed) > 0 {
		return pushed
	}
	return rewriteEach(urls, rules.insteadOf)
}

// urlRules are git's url.<base>.insteadOf and url.<base>.pushInsteadOf
// rules: each maps a prefix to the base that replaces it.
type urlRules struct {
	insteadOf, pushInsteadOf map[string]string
}

// readURLRules reads the rules of configs, in git's order (the user's
// configuration, then the repository's). For one prefix, the first read
// wins, as in git, which keeps the first of the longest matches.
func readURLRules(configs ...*format.Config) urlRules {
	r := urlRules{insteadOf: map[string]string{}, pushInsteadOf: map[string]string{}}
	add := func(rules map[string]string, prefixes []string, base string) {
		for _, prefix := range prefixes {
			if _, ok := rules[prefix]; !ok {
				rules[prefix] = base
			}
		}
	}
	for _, cfg := range configs {
		for _, sub := range cfg.Section("url").Subsections {
			add(r.insteadOf, sub.Options.GetAll("insteadOf"), sub.Name)
			add(r.pushInsteadOf, sub.Options.GetAll("pushInsteadOf"), sub.Name)
		}
	}
	return r
}

// rewriteEach is each of urls rewritten by rules.
func rewriteEach(urls []string, rules map[string]string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i], _ = rewrite(u, rules)
	}
	return out
}

// rewrite replaces the longest prefix of url that rules have by its base,
// and says whether one did.
func rewrite(url string, rules map[string]string) (string, bool) {
	longest, found := "", false
	for prefix := range rules {
		if strings.HasPrefix(url, prefix) && (!found || len(prefix) > len(longest)) {
			longest, found = prefix, true
		}
	}
	if !found {
		return url, false
	}
	return rules[longest] + url[len(longest):], true
}

// Push pushes the branch HEAD was on to t. It never forces: when the remote
// branch has commits this checkout lacks, it says so, and the local commit
// stays; when it also holds every local commit (the checkout is only
// behind), there is nothing to push and res says Behind. res records the
// push: Branch becomes the remote branch (LocalBranch stays the one
// committed on), and Pushed is false when it already was the local one.
func (c *Checkout) Push(ctx context.Context, res *Result, t *PushTarget) error {
	local, dst, remote, auth, rawURL := t.local, t.dst, t.remote, t.auth, t.remote.Config().URLs[0] // the push URL
	branch := dst.Short()
	sec := append(slices.Clone(c.sec), t.sec...)
	shown := Redact(rawURL, t.sec...)
	ours, err := c.repo.Storer.Reference(local)
	if err != nil {
		return sec.wrap(err, "reading %s", local)
	}
	var progress bytes.Buffer
	err = remote.PushContext(ctx, &git.PushOptions{
		RemoteName: remote.Config().Name,
		RefSpecs:   []config.RefSpec{config.RefSpec(local + ":" + dst)},
		Auth:       auth,
		Progress:   &progress,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		kept := ""
		if !res.Empty() {
			kept = fmt.Sprintf(" (the local commit %s stays)", res.Commit[:12])
		}
		now, lerr := remoteHash(ctx, remote, auth, dst)
		if lerr == nil && !now.IsZero() && now != ours.Hash() && !isAncestor(c.repo, now, ours.Hash()) {
			// A commit made now is not on the remote; otherwise the
			// remote may hold the local branch already.
			if res.Empty() && c.remoteHolds(ctx, t, now, ours.Hash()) {
				res.Branch, res.Behind = branch, true
				return nil
			}
			return &Error{msg: fmt.Sprintf("pushing %s to %s: the remote branch has commits this checkout does not have; "+
				"pull, then run apkgen build --commit --push again%s", branch, shown, kept), err: err}
		}
		err = sec.wrap(err, "pushing %s to %s%s%s", branch, shown, hint(err, "the remote rejected the push"), kept)
		return withRemoteMessages(err, &progress, sec)
	}
	res.Branch = branch
	res.Pushed = err == nil // NoErrAlreadyUpToDate: the remote had it all
	return nil
}

// remoteHolds fetches t's branch, whose head is tip, into
// refs/remotes/origin/<branch> as git fetch does, and reports whether
// commit is in its history.
func (c *Checkout) remoteHolds(ctx context.Context, t *PushTarget, tip, commit plumbing.Hash) bool {
	if fetchBranch(ctx, t.remote, t.dst, 0, t.auth) != nil {
		return false
	}
	return isAncestor(c.repo, commit, tip)
}

// remoteName is the remote apkgen fetches from and pushes to, as git push
// does with no remote named.
const remoteName = "origin"

// fetchBranch fetches branch of remote into its remote-tracking ref
// (refs/remotes/<remote>/<branch>), forced, without tags, depth commits
// deep (0: all), as git fetch <remote> <branch> does; already up to date
// is no error.
func fetchBranch(ctx context.Context, remote *git.Remote, branch plumbing.ReferenceName, depth int, auth transport.AuthMethod) error {
	tracking := plumbing.NewRemoteReferenceName(remote.Config().Name, branch.Short())
	err := remote.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: []config.RefSpec{config.RefSpec("+" + branch + ":" + tracking)},
		Depth:    depth,
		Auth:     auth,
		Tags:     git.NoTags,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// isAncestor reports whether old is in new's history.
func isAncestor(repo *git.Repository, old, new plumbing.Hash) bool {
	a, err := object.GetCommit(repo.Storer, old)
	if err != nil {
		return false
	}
	b, err := object.GetCommit(repo.Storer, new)
	if err != nil {
		return false
	}
	ok, err := a.IsAncestor(b)
	return err == nil && ok
}

// hint says in words what a transport error means, after a colon; other
// errors get def.
func hint(err error, def string) string {
	if h := transportHint(err); h != "" {
		return ": " + h
	}
	if def != "" {
		return ": " + def
	}
	return ""
}

func transportHint(err error) string {
	var netErr *net.OpError
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return "authentication failed: no credentials, or the remote refused them " +
			"(https: a token in APKGEN_GIT_TOKEN or GITHUB_TOKEN; ssh: APKGEN_GIT_SSH_KEY or an ssh agent)"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return "the credentials were refused (no access to this repository)"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return "repository not found (or the credentials cannot see it)"
	case errors.As(err, &netErr), strings.Contains(err.Error(), "connection refused"):
		return "cannot reach the remote"
	}
	return ""
}

// withRemoteMessages adds to err the lines the remote sent while pushing
// (a hook's reason for a rejection), as git shows them.
func withRemoteMessages(err error, b *bytes.Buffer, sec secrets) error {
	if e, ok := err.(*Error); ok {
		e.msg += remoteMessages(b, sec)
	}
	return err
}

func remoteMessages(b *bytes.Buffer, sec secrets) string {
	var out []string
	for _, line := range strings.FieldsFunc(b.String(), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, "remote: "+line)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "\n" + Redact(strings.Join(out, "\n"), sec...)
}

// Auth picks the credentials for a remote URL from the environment and
// returns the strings Redact must hide:
//
//   - http(s): credentials in the URL win (as basic auth); else a token, APKGEN_GIT_TOKEN
//     then GITHUB_TOKEN, as basic auth with the user APKGEN_GIT_USERNAME
//     (default x-access-token);
//   - ssh: the private key in APKGEN_GIT_SSH_KEY (a file, or the key itself;
//     passphrase APKGEN_GIT_SSH_PASSPHRASE), else the ssh agent. Host keys
//     are checked against known_hosts (SSH_KNOWN_HOSTS names other files);
//   - file: none.
func Auth(rawURL string, env Getenv) (transport.AuthMethod, []string, error) {
	var sec secrets
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return nil, sec, inputErrorf("%s: not a git URL", Redact(rawURL))
	}
	if ep.Password != "" {
		sec.add(ep.Password, url.QueryEscape(ep.Password), url.PathEscape(ep.Password))
	}
	switch ep.Protocol {
	case "http", "https":
		if ep.User != "" {
			if ep.Password == "" {
				sec.add(ep.User) // a token in the user name's place
			}
			return &http.BasicAuth{Username: ep.User, Password: ep.Password}, sec, nil
		}
		token := env.get("APKGEN_GIT_TOKEN")
		if token == "" {
			token = env.get("GITHUB_TOKEN")
		}
		if token == "" {
			return nil, sec, nil
		}
		sec.add(token)
		user := env.get("APKGEN_GIT_USERNAME")
		if user == "" {
			user = "x-access-token"
		}
		return &http.BasicAuth{Username: user, Password: token}, sec, nil
	case "ssh":
		user := ep.User
		if user == "" {
			user = ssh.DefaultUsername
		}
		pass := env.get("APKGEN_GIT_SSH_PASSPHRASE")
		sec.add(pass)
		if key := env.get("APKGEN_GIT_SSH_KEY"); key != "" {
			var a *ssh.PublicKeys
			if strings.Contains(key, "PRIVATE KEY-----") {
				a, err = ssh.NewPublicKeys(user, []byte(key), pass)
			} else {
				a, err = ssh.NewPublicKeysFromFile(user, key, pass)
			}
			if err != nil {
				return nil, sec, inputErrorf("APKGEN_GIT_SSH_KEY: cannot use the key: %s", Redact(err.Error(), sec...))
			}
			return a, sec, nil
		}
		if env.get("SSH_AUTH_SOCK") != "" {
			a, err := ssh.NewSSHAgentAuth(user)
			if err != nil {
				return nil, sec, sec.wrap(err, "ssh agent")
			}
			return a, sec, nil
		}
	}
	return nil, sec, nil
}

// The file transport of go-git runs git-upload-pack and git-receive-pack
// (which run the remote's hooks and update refs safely). apkgen needs no
// git binary: where they are missing, go-git's own server takes over.
func init() { client.InstallProtocol("file", localTransport{}) }

type localTransport struct{}

func (localTransport) NewUploadPackSession(ep *transport.Endpoint, a transport.AuthMethod) (transport.UploadPackSession, error) {
	s, err := file.DefaultClient.NewUploadPackSession(ep, a)
	if noBinary(err) {
		return server.NewClient(server.DefaultLoader).NewUploadPackSession(ep, a)
	}
	return s, err
}

func (localTransport) NewReceivePackSession(ep *transport.Endpoint, a transport.AuthMethod) (transport.ReceivePackSession, error) {
	s, err := file.DefaultClient.NewReceivePackSession(ep, a)
	if noBinary(err) {
		return server.NewClient(server.DefaultLoader).NewReceivePackSession(ep, a)
	}
	return s, err
}

func noBinary(err error) bool {
	var e *exec.Error
	return errors.As(err, &e)
}
