// Package suggest finds the name a mistyped one was meant to be, for
// "did you mean" hints.
package suggest

import "strings"

// Closest returns the allowed name nearest to name, if near enough to be a
// typo of it (case ignored), else "".
func Closest(name string, allowed []string) string {
	best, bestDist := "", len(name)/3+2
	for _, a := range allowed {
		d := distance(strings.ToLower(name), strings.ToLower(a))
		if d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
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
