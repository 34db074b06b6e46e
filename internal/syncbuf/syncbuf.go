// Package syncbuf is a bytes.Buffer that one goroutine may write while
// another reads it: the log of a run on another goroutine, which a test
// watches.
package syncbuf

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer safe for concurrent Write and String.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitFor waits until the buffer holds want, for at most d, and reports
// whether it came.
func (l *Buffer) WaitFor(want string, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if strings.Contains(l.String(), want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
