package imagegc

import (
	"cmp"
	"slices"
	"time"
)

// Candidate is one image the runtime has, with what the collector knows
// of it.
type Candidate struct {
	ID            string
	Size          int64
	FirstDetected time.Time
	// LastUsed is when a container last used it; zero for never.
	LastUsed time.Time
	InUse    bool
	Pinned   bool
}

// Plan picks the images to delete to free bytesToFree: the unused,
// unpinned images at least minAge old (since first detected), least
// recently used first, then first detected first, until the freed size
// reaches bytesToFree. It returns the IDs in deletion order and the bytes
// they free (possibly less than asked). candidates is not modified.
func Plan(candidates []Candidate, bytesToFree int64, now time.Time, minAge time.Duration) ([]string, int64) {
	eligible := make([]Candidate, 0, len(candidates))
	for _, c := range candidates {
		if c.InUse || c.Pinned || now.Sub(c.FirstDetected) < minAge {
			continue
		}
		eligible = append(eligible, c)
	}
	slices.SortStableFunc(eligible, func(a, b Candidate) int {
		if c := a.LastUsed.Compare(b.LastUsed); c != 0 {
			return c
		}
		if c := a.FirstDetected.Compare(b.FirstDetected); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var ids []string
	var freed int64
	for _, c := range eligible {
		if freed >= bytesToFree {
			break
		}
		ids = append(ids, c.ID)
		freed += c.Size
	}
	return ids, freed
}

// AmountToFree is how many bytes to free on a file system of capacity
// bytes with available free: zero while usage is under highPercent,
// otherwise enough to bring usage down to lowPercent.
func AmountToFree(capacity, available int64, highPercent, lowPercent int) int64 {
	if capacity <= 0 {
		return 0
	}
	usage := 100 - int(available*100/capacity)
	if usage < highPercent {
		return 0
	}
	return max(capacity*int64(100-lowPercent)/100-available, 0)
}
