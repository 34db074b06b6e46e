package gitops_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/apkgen/apkgen/pkg/gitops"
)

// newKey makes an OpenPGP key in-process and returns its armored private
// key (encrypted with passphrase, when set) and public key.
func newKey(t *testing.T, passphrase string) (private, public string) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity("apkgen bot", "test", "bot@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), cfg); err != nil {
			t.Fatal(err)
		}
	}
	var priv bytes.Buffer
	w, err = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return priv.String(), pub.String()
}

// git verify-commit accepts apkgen's signatures: a key from --sign-key,
// and a passphrase-protected one from APKGEN_GPG_KEY.
func TestSignedCommit(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed (Debian package gnupg): git verify-commit needs it to check the signatures")
	}
	s := newSandbox(t)
	gnupg := t.TempDir()
	if err := os.Chmod(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	s.env = append(s.env, "GNUPGHOME="+gnupg)
	t.Cleanup(func() { // no agent outlives the test
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = s.env
		cmd.Run()
	})
	in := example(t, t.TempDir(), "environments.yaml", "")

	const passphrase = "correct horse battery staple"
	plain, plainPub := newKey(t, "")
	locked, lockedPub := newKey(t, passphrase)
	for _, pub := range []string{plainPub, lockedPub} {
		cmd := exec.Command("gpg", "--batch", "--no-autostart", "--import")
		cmd.Env = s.env
		cmd.Stdin = strings.NewReader(pub)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gpg --import: %v\n%s", err, out)
		}
	}
	keyFile := filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(keyFile, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		vars []string
		args []string
	}{
		{"--sign-key", nil, []string{"--sign-key", keyFile}},
		{"APKGEN_GPG_KEY", []string{"APKGEN_GPG_KEY=" + locked, "APKGEN_GPG_PASSPHRASE=" + passphrase}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := s.initRepo()
			args := append([]string{"build", "-f", in, "--commit", botID}, tc.args...)
			if r := s.apkgen(repo, tc.vars, args...); r.code != 0 {
				t.Fatalf("build --commit: %s", r)
			}
			if out, err := s.gitErr(repo, "verify-commit", "-v", "HEAD"); err != nil {
				t.Fatalf("git verify-commit: %v\n%s", err, out)
			} else if !strings.Contains(out, "Good signature") {
				t.Errorf("git verify-commit:\n%s", out)
			}
			s.git(repo, "fsck", "--strict", "--no-dangling")
		})
	}

	// A wrong passphrase is an input error that does not echo it.
	repo := t.TempDir()
	s.git(repo, "init", "--quiet")
	r := s.apkgen(repo, []string{"APKGEN_GPG_KEY=" + locked, "APKGEN_GPG_PASSPHRASE=wrong " + passphrase}, "build", "-f", in, "--commit", botID)
	if r.code != 2 || !strings.Contains(r.stderr, "passphrase") || strings.Contains(r.stderr, passphrase) {
		t.Errorf("wrong passphrase: %s", r)
	}
}

// Every way a signing key can be unusable is an input error that says
// which, before anything is built; no key at all means no signature.
func TestLoadSignKeyErrors(t *testing.T) {
	private, public := newKey(t, "")
	locked, _ := newKey(t, "s3cret")
	env := func(vars ...string) gitops.Getenv {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.asc")
	if err := os.WriteFile(keyFile, []byte(private), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file string
		env  gitops.Getenv
		want string // "" for a usable key, "none" for no key
	}{
		{"no key", "", env(), "none"},
		{"key file", keyFile, env(), ""},
		{"missing file", filepath.Join(dir, "nope.asc"), env(), "--sign-key: open"},
		{"not armored", "", env("APKGEN_GPG_KEY", "not a key"), "APKGEN_GPG_KEY: not an armored OpenPGP key"},
		{"public key only", "", env("APKGEN_GPG_KEY", public), "holds no private key"},
		{"passphrase unset", "", env("APKGEN_GPG_KEY", locked), "set APKGEN_GPG_PASSPHRASE"},
		{"wrong passphrase", "", env("APKGEN_GPG_KEY", locked, "APKGEN_GPG_PASSPHRASE", "wrong"), "wrong passphrase"},
		{"right passphrase", "", env("APKGEN_GPG_KEY", locked, "APKGEN_GPG_PASSPHRASE", "s3cret"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := gitops.LoadSignKey(tc.file, tc.env)
			var input *gitops.InputError
			switch {
			case tc.want == "none":
				if key != nil || err != nil {
					t.Errorf("got %v, %v; want no key", key, err)
				}
			case tc.want == "":
				if key == nil || err != nil {
					t.Errorf("got %v, %v; want a key", key, err)
				}
			case !errors.As(err, &input) || !strings.Contains(err.Error(), tc.want):
				t.Errorf("got %v; want an input error with %q", err, tc.want)
			}
		})
	}
}
