package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/pflag"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/gitops"
	"github.com/apkgen/apkgen/pkg/tree"
)

// gitFlags are build's flags for committing and pushing (package gitops).
type gitFlags struct {
	commit, push              bool
	repo, branch, base        string
	author, committer, signer string
}

func (g *gitFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&g.commit, "commit", false, "commit the owned folder's changes (and nothing else) in the repository holding DIR")
	fs.BoolVar(&g.push, "push", false, "push the commit (implies --commit); with --commit, to the branch of the same name on origin")
	fs.StringVar(&g.repo, "repo", "", "the PR bot's mode: fetch --branch (or --base) of this repository URL into a temporary folder, build, commit there (implies --commit)")
	fs.StringVar(&g.branch, "branch", "", "the branch to commit to and push (--repo), or to push to (--commit --push)")
	fs.StringVar(&g.base, "base", "", "with --repo: the branch to start from when --branch does not exist yet (default: the remote's default branch)")
	fs.StringVar(&g.author, "author", "", `the commit's author, "Name <email>" (default: GIT_AUTHOR_NAME/EMAIL, then git config user.name/email)`)
	fs.StringVar(&g.committer, "committer", "", `the commit's committer, "Name <email>" (default: GIT_COMMITTER_NAME/EMAIL, then git config, then the author)`)
	fs.StringVar(&g.signer, "sign-key", "", "sign the commit with this armored OpenPGP private key (default: the key in APKGEN_GPG_KEY, if set; passphrase in APKGEN_GPG_PASSPHRASE)")
}

// committing reports whether the build commits: --push and --repo imply
// --commit.
func (g *gitFlags) committing() bool { return g.commit || g.push || g.repo != "" }

// check validates the combination; it returns a usage message, or "".
func (g *gitFlags) check(fs *pflag.FlagSet) string {
	switch {
	case g.repo != "" && g.branch == "":
		return "--repo needs --branch: the branch to commit to"
	case g.repo != "" && fs.Changed("output"):
		return "--repo builds in a temporary clone: it takes no -o"
	case g.base != "" && g.repo == "":
		return "--base goes with --repo"
	case g.branch != "" && !g.push && g.repo == "":
		return "--branch goes with --push or --repo"
	}
	if !g.committing() {
		for _, f := range []string{"author", "committer", "sign-key"} {
			if fs.Changed(f) {
				return "--" + f + " goes with --commit"
			}
		}
	}
	return ""
}

// run builds and commits (and pushes), in the checkout holding root or, with
// --repo, in a temporary clone.
func (g *gitFlags) run(e *env, lo *loadOptions, opts apkgen.BuildOptions, asJSON bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o := gitops.Options{
		Author: g.author, Committer: g.committer, SignKeyFile: g.signer,
		InputFile: opts.File, Version: version(), Log: e.stderr,
	}
	var warnings diag.List // of the last build; a retried build repeats them
	// build builds into root; check refuses, before anything is written,
	// what the commit would refuse.
	build := func(root string, check func(gitops.Built) error) (*apkgen.BuildResult, error) {
		o := opts
		o.Root = root
		if g.signer != "" {
			o.Reads = append(o.Reads, g.signer)
		}
		o.BeforeWrite = func(dir string, t tree.Tree) error {
			return check(gitops.Built{Dir: dir, Files: t, Envs: opts.Envs})
		}
		b, err := apkgen.Build(o)
		if err == nil {
			warnings = b.File.Warnings
			lo.work(e, b.File, &b.Verified)
		}
		return b, err
	}
	defer func() { printDiags(e, warnings) }()
	var res *gitops.Result
	var where string // the repository
	if g.repo != "" {
		r := gitops.RemoteOptions{URL: g.repo, Branch: g.branch, Base: g.base, Push: g.push,
			Build: func(root string) (gitops.Built, error) {
				// The clone is HEAD: only the folder's place can be wrong.
				b, err := build(root, func(b gitops.Built) error {
					_, err := gitops.PathIn(root, b.Dir)
					return err
				})
				if err != nil {
					return gitops.Built{}, err
				}
				return built(b, opts.Envs), nil
			}}
		var err error
		if res, err = gitops.Publish(ctx, r, o); err != nil {
			return report(e, err)
		}
		where = gitops.Redact(g.repo)
	} else {
		co, err := gitops.Open(opts.Root, o)
		if err != nil {
			return report(e, err)
		}
		var target *gitops.PushTarget
		if g.push {
			// A push that cannot happen must not leave a commit behind.
			if target, err = co.PushTarget(g.branch); err != nil {
				return report(e, err)
			}
		}
		b, err := build(opts.Root, co.Check)
		if err != nil {
			return report(e, err)
		}
		if res, err = co.Commit(built(b, opts.Envs)); err != nil {
			return report(e, err)
		}
		where = co.Root()
		if g.push {
			// Also when nothing was committed: an earlier commit may wait.
			if err := co.Push(ctx, res, target); err != nil {
				if !asJSON {
					printCommit(e, res, where)
				}
				return report(e, err)
			}
		}
	}
	if asJSON {
		return printJSON(e, res)
	}
	printCommit(e, res, where)
	switch {
	case res.Pushed && g.repo == "":
		fmt.Fprintf(e.stdout, "pushed %s to origin's %s\n", res.LocalBranch, res.Branch)
	case res.Pushed:
		fmt.Fprintf(e.stdout, "pushed %s\n", res.Branch)
	case res.Behind:
		fmt.Fprintf(e.stdout, "nothing to push: origin's %s has commits this checkout does not have, and all of its own (pull to update it)\n", res.Branch)
	case g.push && g.repo == "":
		fmt.Fprintf(e.stdout, "nothing to push: origin's %s is up to date\n", res.Branch)
	case g.repo != "" && !res.Empty():
		fmt.Fprintln(e.stdout, "not pushed (no --push): the commit was made in a temporary clone, now removed")
	}
	return ExitOK
}

// built is what gitops commits of a build of envs (nil: all).
func built(b *apkgen.BuildResult, envs []string) gitops.Built {
	return gitops.Built{Dir: b.Dir, Files: b.Files, Input: b.File.Data, Envs: envs}
}

// printCommit says what was committed on the local branch of the
// repository where.
func printCommit(e *env, res *gitops.Result, where string) {
	if res.Empty() {
		fmt.Fprintf(e.stdout, "nothing to commit: %s of %s is up to date\n", res.LocalBranch, where)
		return
	}
	fmt.Fprintf(e.stdout, "committed %s on %s of %s: %s (%s)\n",
		res.Commit[:12], res.LocalBranch, where, tree.Counts(len(res.Added), len(res.Modified), len(res.Removed)),
		strings.Join(res.ChangedEnvironments, ", "))
}

func printJSON(e *env, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return report(e, err)
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return ExitOK
}
