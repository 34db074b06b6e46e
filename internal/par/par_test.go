package par

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func TestForRunsEveryJobOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 4, 100} {
		const n = 1000
		var seen [n]atomic.Int32
		lastOf := make([]int, workers)
		for w := range lastOf {
			lastOf[w] = -1
		}
		For(n, workers, func(w, i int) {
			if i <= lastOf[w] {
				t.Errorf("worker %d ran job %d after job %d", w, i, lastOf[w])
			}
			lastOf[w] = i
			seen[i].Add(1)
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("workers=%d: job %d ran %d times", workers, i, c)
			}
		}
	}
}

func TestWorkers(t *testing.T) {
	if w := Workers(0, 10); w != 1 {
		t.Errorf("Workers(0, 10) = %d, want 1", w)
	}
	if w := Workers(5, 10); w != 1 {
		t.Errorf("Workers(5, 10) = %d, want 1", w)
	}
	if w, want := Workers(1<<20, 1), runtime.GOMAXPROCS(0); w != want {
		t.Errorf("Workers(1<<20, 1) = %d, want GOMAXPROCS %d", w, want)
	}
}
