// Package suggest finds the name a mistyped one was meant to be, for
// "did you mean" hints.
package suggest

import "strings"

// Closest returns the allowed name nearest to name, if near enough to be a
// typo of it (case ignored), else "". A name that misses letters of an
// allowed one (a subsequence of it) is taken to mean that one over a
// nearer name it would have to change letters of: cp-vm-k8s means
// cp-vm-dp-k8s, not cp-dp-k8s.
func Closest(name string, allowed []string) string {
	limit := len(name)/3 + 2
	best, bestDist, bestOmits := "", limit, false
	name = strings.ToLower(name)
	for _, a := range allowed {
		lower := strings.ToLower(a)
		d, omits := distance(name, lower), subsequence(name, lower)
		if d >= limit {
			continue
		}
		if omits && !bestOmits || omits == bestOmits && d < bestDist {
			best, bestDist, bestOmits = a, d, omits
		}
	}
	return best
}

// subsequence reports whether s is t with letters left out.
func subsequence(s, t string) bool {
	i := 0
	for j := 0; i < len(s) && j < len(t); j++ {
		if s[i] == t[j] {
			i++
		}
	}
	return i == len(s)
}

// Hint is " did you mean "X"?" for the closest allowed name, else "".
func Hint(name string, allowed []string) string {
	if best := Closest(name, allowed); best != "" {
		return ` did you mean "` + best + `"?`
	}
	return ""
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
