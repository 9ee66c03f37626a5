package job

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// parseIndexes parses a compressed index list such as "0-2,5,7-8" into a
// sorted set, keeping only indexes below completions. Malformed parts are
// skipped, as upstream does with a corrupted status.
func parseIndexes(s string, completions int) []int {
	var out []int
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := max(first, 0); i <= last && i < completions; i++ {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// formatIndexes renders a set of indexes in the compressed form used by
// status.completedIndexes: sorted, with every run of two or more
// consecutive indexes written as "first-last", as upstream does.
func formatIndexes(idx []int) string {
	s := slices.Clone(idx)
	slices.Sort(s)
	s = slices.Compact(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == i {
			fmt.Fprintf(&b, "%d", s[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", s[i], s[j])
		}
		i = j + 1
	}
	return b.String()
}

// podIndex reads a pod's completion index from its annotation (falling back
// to the label); ok is false when absent or malformed.
func podIndex(annotations, labels map[string]string) (int, bool) {
	v, found := annotations[completionIndexKey]
	if !found {
		v, found = labels[completionIndexKey]
	}
	if !found {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return 0, false
	}
	return i, true
}
