package buildcache

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// The file of results holds every result a recent run used, each with the
// generation of the last run that wrote the file and used it. Every run
// that writes the file is a generation: it keeps what it used at its own
// generation, and what earlier runs left at theirs, dropping what has gone
// unused for maxAge generations, then the oldest while the file would pass
// maxBytes. A run that found every result it used in the file writes
// nothing. Layout:
//
//	magic
//	uvarint generation of the run that wrote it
//	per result, keys in order: key, uvarint generation, uvarint length, data
//	CRC-32C of everything before it, 4 bytes little-endian
const (
	magic    = "apkgen results 1\n"
	maxAge   = 16
	maxBytes = 64 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type entry struct {
	data []byte
	gen  uint64
}

// set is the file's results as one run read them.
type set struct {
	gen     uint64
	entries map[Key]entry
	stat    os.FileInfo // the file read, to notice another run replacing it; nil if none
}

// readSet reads the file of results. One that is missing, unreadable or
// damaged is an empty set.
func readSet(name string) *set {
	s := &set{entries: map[Key]entry{}}
	f, err := os.Open(name)
	if err != nil {
		return s
	}
	defer f.Close()
	stat, err := f.Stat()
	if err != nil {
		return s
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return s
	}
	s.stat = stat
	if gen, entries, err := decode(data); err == nil {
		s.gen, s.entries = gen, entries
	}
	return s
}

var errDamaged = errors.New("damaged file of results")

// decode parses the file of results. The entries' data are slices of data.
func decode(data []byte) (uint64, map[Key]entry, error) {
	n := len(data) - crc32.Size
	if n < len(magic) || string(data[:len(magic)]) != magic ||
		crc32.Checksum(data[:n], crcTable) != binary.LittleEndian.Uint32(data[n:]) {
		return 0, nil, errDamaged
	}
	r := data[len(magic):n]
	uvarint := func() (uint64, bool) {
		v, k := binary.Uvarint(r)
		if k <= 0 {
			return 0, false
		}
		r = r[k:]
		return v, true
	}
	gen, ok := uvarint()
	if !ok {
		return 0, nil, errDamaged
	}
	entries := map[Key]entry{}
	for len(r) > 0 {
		if len(r) < len(Key{}) {
			return 0, nil, errDamaged
		}
		key := Key(r[:len(Key{})])
		r = r[len(Key{}):]
		g, ok1 := uvarint()
		size, ok2 := uvarint()
		if !ok1 || !ok2 || size > uint64(len(r)) {
			return 0, nil, errDamaged
		}
		entries[key] = entry{data: r[:size:size], gen: g}
		r = r[size:]
	}
	return gen, entries, nil
}

// encode writes the set in the file's layout, keys in order.
func (s *set) encode() []byte {
	keys := make([]Key, 0, len(s.entries))
	size := len(magic) + binary.MaxVarintLen64 + crc32.Size
	for k, e := range s.entries {
		keys = append(keys, k)
		size += len(k) + 2*binary.MaxVarintLen64 + len(e.data)
	}
	slices.SortFunc(keys, func(a, b Key) int { return bytes.Compare(a[:], b[:]) })
	out := make([]byte, 0, size)
	out = append(out, magic...)
	out = binary.AppendUvarint(out, s.gen)
	for _, k := range keys {
		e := s.entries[k]
		out = append(out, k[:]...)
		out = binary.AppendUvarint(out, e.gen)
		out = binary.AppendUvarint(out, uint64(len(e.data)))
		out = append(out, e.data...)
	}
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
}

// lacksAny reports whether some of used is not in the set.
func (s *set) lacksAny(used map[Key][]byte) bool {
	for k := range used {
		if _, ok := s.entries[k]; !ok {
			return true
		}
	}
	return false
}

// next is the set a run that used used writes after s: one generation on.
func (s *set) next(used map[Key][]byte) *set {
	n := &set{gen: s.gen + 1, entries: make(map[Key]entry, len(s.entries)+len(used))}
	for k, e := range s.entries {
		if n.gen-e.gen < maxAge {
			n.entries[k] = e
		}
	}
	for k, data := range used {
		n.entries[k] = entry{data: data, gen: n.gen}
	}
	n.trim(maxBytes)
	return n
}

// trim drops the oldest results (then the larger keys of a generation, to
// be deterministic) until the set's data fit in limit bytes.
func (s *set) trim(limit int) {
	total := 0
	for _, e := range s.entries {
		total += len(e.data) + len(Key{})
	}
	if total <= limit {
		return
	}
	keys := make([]Key, 0, len(s.entries))
	for k := range s.entries {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(s.entries[a].gen, s.entries[b].gen), bytes.Compare(b[:], a[:]))
	})
	for _, k := range keys {
		if total <= limit {
			break
		}
		total -= len(s.entries[k].data) + len(Key{})
		delete(s.entries, k)
	}
}

// store writes the file of results again when used holds a result s
// lacks, and returns what it wrote (nil when it wrote nothing). Under the
// lock, the file is read again if another run replaced it since s was
// read, so that its results are kept too.
func (s *set) store(file, lockFile string, used map[Key][]byte) *set {
	if !s.lacksAny(used) {
		return nil
	}
	unlock, err := lockedfile.MutexAt(lockFile).Lock()
	if err != nil {
		return nil
	}
	defer unlock()
	base := s
	if replaced(file, s.stat) {
		base = readSet(file)
	}
	next := base.next(used)
	if err := replaceFile(file, next.encode()); err != nil {
		return nil
	}
	next.stat, _ = os.Stat(file)
	return next
}

// replaced reports whether file is no longer the one read (stat nil: none).
func replaced(file string, read os.FileInfo) bool {
	now, err := os.Stat(file)
	switch {
	case err != nil:
		return read != nil // gone since
	case read == nil:
		return true // made since
	}
	return !os.SameFile(read, now) || !read.ModTime().Equal(now.ModTime()) || read.Size() != now.Size()
}

// replaceFile writes data to a new file beside file and renames it over
// file, so that a reader sees the old file or the new one whole. It runs
// under the lock: any other temporary file there is a stopped run's.
func replaceFile(file string, data []byte) error {
	pattern := filepath.Base(file) + ".*.tmp"
	if old, err := filepath.Glob(filepath.Join(filepath.Dir(file), pattern)); err == nil {
		for _, o := range old {
			os.Remove(o)
		}
	}
	f, err := os.CreateTemp(filepath.Dir(file), pattern)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
