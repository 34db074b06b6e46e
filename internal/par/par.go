// Package par runs independent jobs on a few goroutines, each goroutine
// (worker) with state of its own: CUE contexts and kustomizers are not safe
// for concurrent use, so every worker gets one.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns how many workers n jobs deserve: one per minPerWorker
// jobs, at least one, at most GOMAXPROCS. An extra worker has a start-up
// cost; minPerWorker is how many jobs pay for it.
func Workers(n, minPerWorker int) int {
	w := n / max(minPerWorker, 1)
	return max(1, min(w, runtime.GOMAXPROCS(0)))
}

// For calls fn(w, i) for every i in [0, n) on `workers` goroutines and
// returns when all calls have. Worker w's calls run one after the other, in
// increasing i; jobs are handed out in order, so the first jobs finish first.
// With one worker everything runs on the calling goroutine.
func For(n, workers int, fn func(w, i int)) {
	workers = max(1, min(workers, n))
	if workers == 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
}
