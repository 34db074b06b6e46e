// Package gitops is the last stage of the pipeline: it commits the folder
// apkgen owns with go-git and pushes it. A git binary is not needed; where
// there is one, it says who commits (git var) and serves file:// remotes.
//
// Two ways in:
//
//   - Open + Checkout.Commit (+ Checkout.Push): in a checkout of the GitOps
//     repository. The commit changes the owned folder only; whatever else
//     the user changed or staged stays as it was, staged or not.
//   - Publish: the PR bot's path. A shallow, single-branch fetch of a remote
//     branch into a temporary folder, a build there, a commit, a push; a push
//     that loses a race is rebuilt on the new remote head and retried.
//
// Every error that leaves the package went through Redact: no token,
// password or passphrase is ever part of a message.
package gitops

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Result says what a commit (and a push) did. Paths are slash-separated and
// relative to the repository root; the JSON form is the bot's report.
type Result struct {
	// ChangedEnvironments are the environments whose files changed, sorted,
	// with "shared" for files of no single environment.
	ChangedEnvironments []string `json:"changedEnvironments"`
	Added               []string `json:"added"`
	Modified            []string `json:"modified"`
	Removed             []string `json:"removed"`
	// Commit is the new commit's hash, empty when there was nothing to commit.
	Commit string `json:"commit"`
	// Branch is the remote branch pushed to, once Checkout.Push ran (which
	// --branch may name differently from LocalBranch); else LocalBranch.
	Branch string `json:"branch"`
	// LocalBranch is the branch committed on ("HEAD" when detached); a
	// push does not change it.
	LocalBranch string `json:"localBranch"`
	Pushed      bool   `json:"pushed"`
	// Behind says that nothing was pushed because the remote branch has
	// commits the checkout lacks, and already holds all of its own.
	Behind bool `json:"behind"`
}

// Empty reports whether nothing was committed.
func (r *Result) Empty() bool { return r.Commit == "" }

// InputError is a mistake in how apkgen was called or configured: no
// identity for the commit, an unreadable signing key, a branch that does not
// exist (exit 2).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Error is a git or network failure (exit 3). Its message is redacted; the
// wrapped error is kept for errors.Is, never for printing.
type Error struct {
	msg string
	err error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

// secrets is what Redact removes besides URL credentials.
type secrets []string

func (s *secrets) add(v ...string) {
	for _, x := range v {
		if len(x) >= 4 { // shorter would garble ordinary words
			*s = append(*s, x)
		}
	}
}

// wrap turns any error into an *Error with a redacted message, prefixed by
// what was being done. It is the one way errors leave this package, apart
// from InputError (whose messages are built from redacted parts too).
func (s secrets) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var in *InputError
	if errors.As(err, &in) {
		return &InputError{Msg: Redact(in.Msg, s...)}
	}
	msg := fmt.Sprintf(format, args...)
	if msg != "" {
		msg += ": "
	}
	return &Error{msg: strings.TrimRight(Redact(msg+err.Error(), s...), ": \n"), err: err}
}

var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]+@`)

// Redact removes the credentials from text meant for people: the user
// information of every URL in it (scheme://user:token@host becomes
// scheme://***@host) and every occurrence of the given secrets.
func Redact(s string, secrets ...string) string {
	s = userinfo.ReplaceAllString(s, "${1}***@")
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, "***")
		}
	}
	return s
}

// Getenv reads the environment; tests and other programs may replace it.
type Getenv func(string) string

func (g Getenv) get(name string) string {
	if g == nil {
		return os.Getenv(name)
	}
	return g(name)
}
