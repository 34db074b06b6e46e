// Package suggest finds the name a mistyped one was meant to be, for
// "did you mean" hints.
package suggest

import "strings"

// Closest returns the allowed name nearest to name, if near enough to be a
// typo of it (case ignored), else "". Unless a name is one edit away, a
// name that misses letters of an allowed one (a subsequence of it) is
// taken to mean that one over a nearer name it would have to change
// letters of: cp-vm-k8s means cp-vm-dp-k8s, not cp-dp-k8s.
func Closest(name string, allowed []string) string {
	name = strings.ToLower(name)
	nearest, omitted := pick(name, allowed, false), pick(name, allowed, true)
	if omitted == "" || nearest != "" && distance(name, strings.ToLower(nearest)) <= 1 {
		return nearest
	}
	return omitted
}

// pick is the allowed name nearest to name within the typo limit; with
// omits, only among those name is a subsequence of.
func pick(name string, allowed []string, omits bool) string {
	best, bestDist := "", len(name)/3+2
	for _, a := range allowed {
		lower := strings.ToLower(a)
		if omits && !subsequence(name, lower) {
			continue
		}
		if d := distance(name, lower); d < bestDist {
			best, bestDist = a, d
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
