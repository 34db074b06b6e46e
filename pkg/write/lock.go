package write

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// Two apkgen runs on one owned folder at a time would trip over each
// other: a second build takes the first's staging folders for leftovers
// and removes them, and a check run while a build swaps the folder sees
// it missing. So runs take a lock per folder: a build an exclusive one,
// from before it reads the folder until it has replaced it; build --check
// and diff a shared one while they read it.
//
// The lock is a file in a folder of the user's beside the system's
// temporary files, named after the owned folder's absolute path with links
// resolved: not in the folder (a build replaces it), not beside it (it
// would show in the repository), and not on its parent (which a first
// build creates). The system drops the lock of a process that dies.

// waitNote is how long a run waits for a lock before saying it waits.
const waitNote = 200 * time.Millisecond

// Lock takes the lock of the owned folder dir, exclusive or shared, and
// returns the function that releases it (once, however often called). It
// waits while another run holds it, and says so on log after a moment.
// When the lock cannot be taken at all (no writable temporary folder), it
// says so and goes on unlocked: the lock guards against a rare mistake,
// and must not stop every build.
func Lock(dir string, exclusive bool, log io.Writer) func() {
	if log == nil {
		log = io.Discard
	}
	f, err := lock(dir, exclusive, log)
	if err != nil {
		fmt.Fprintf(log, "apkgen: warning: cannot lock %s against other apkgen runs: %v\n", dir, err)
		return func() {}
	}
	return sync.OnceFunc(func() { f.Close() })
}

// lock opens dir's lock file locked, saying on log when it waits.
func lock(dir string, exclusive bool, log io.Writer) (*lockedfile.File, error) {
	file, err := lockFile(dir)
	if err != nil {
		return nil, err
	}
	flag := os.O_RDONLY | os.O_CREATE // shared
	if exclusive {
		flag = os.O_RDWR | os.O_CREATE
	}
	locked := make(chan struct{})
	said := make(chan struct{})
	go func() {
		defer close(said)
		select {
		case <-locked:
		case <-time.After(waitNote):
			fmt.Fprintf(log, "apkgen: waiting for another apkgen run on %s to finish\n", dir)
		}
	}()
	f, err := lockedfile.OpenFile(file, flag, 0o666)
	close(locked)
	<-said
	return f, err
}

// lockFile is the lock file of the owned folder dir, its folder created.
func lockFile(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	locks := filepath.Join(os.TempDir(), fmt.Sprintf("apkgen-locks-%d", os.Getuid()))
	if err := os.MkdirAll(locks, 0o700); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(canonical(realPath(abs))))
	return filepath.Join(locks, hex.EncodeToString(sum[:16])+".lock"), nil
}

// canonical is the absolute path p with the links of its longest existing
// part resolved: one folder named through a link or not, existing yet or
// not, has one name.
func canonical(p string) string {
	var rest []string
	for {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{real}, rest...)...)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(append([]string{p}, rest...)...)
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}
