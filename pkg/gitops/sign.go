package gitops

import (
	"bytes"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// LoadSignKey reads the OpenPGP key commits are signed with: the armored
// private key in file, or else in the APKGEN_GPG_KEY variable; none of
// them means unsigned commits (nil). An encrypted key is unlocked with
// APKGEN_GPG_PASSPHRASE. Problems are InputErrors; the key and the
// passphrase are never part of a message.
func LoadSignKey(file string, env Getenv) (*openpgp.Entity, error) {
	var armored []byte
	source := "APKGEN_GPG_KEY"
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, inputErrorf("--sign-key: %v", err)
		}
		armored, source = b, "--sign-key "+file
	} else if v := env.get("APKGEN_GPG_KEY"); strings.TrimSpace(v) != "" {
		armored = []byte(v)
	} else {
		return nil, nil
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, inputErrorf("%s: not an armored OpenPGP key (%v)", source, err)
	}
	var key *openpgp.Entity
	for _, e := range ring {
		if e.PrivateKey != nil {
			key = e
			break
		}
	}
	if key == nil {
		return nil, inputErrorf("%s: holds no private key (export it with gpg --export-secret-keys --armor)", source)
	}
	if key.PrivateKey.Encrypted {
		pass := env.get("APKGEN_GPG_PASSPHRASE")
		if pass == "" {
			return nil, inputErrorf("%s: the key is protected by a passphrase; set APKGEN_GPG_PASSPHRASE", source)
		}
		if err := key.DecryptPrivateKeys([]byte(pass)); err != nil {
			return nil, inputErrorf("%s: cannot unlock the key with APKGEN_GPG_PASSPHRASE (wrong passphrase?)", source)
		}
	}
	return key, nil
}

// sign adds a detached, armored OpenPGP signature to the commit, over the
// same bytes go-git's CommitOptions.SignKey signs: the commit encoded
// without its signature.
func sign(c *object.Commit, key *openpgp.Entity) error {
	unsigned := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(unsigned); err != nil {
		return err
	}
	r, err := unsigned.Reader()
	if err != nil {
		return err
	}
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, key, r, nil); err != nil {
		return err
	}
	c.PGPSignature = sig.String()
	return nil
}
