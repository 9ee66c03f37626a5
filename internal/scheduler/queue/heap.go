package queue

import "container/heap"

// podHeap is a heap of queued pods with lookup by key, so items can be
// updated or removed in place.
type podHeap struct {
	items []*QueuedPod
	index map[string]int
	less  func(a, b *QueuedPod) bool
}

func newPodHeap(less func(a, b *QueuedPod) bool) *podHeap {
	return &podHeap{index: map[string]int{}, less: less}
}

// heap.Interface, on the items slice.
func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.index[h.items[i].key] = i
	h.index[h.items[j].key] = j
}
func (h *podHeap) Push(x any) {
	q := x.(*QueuedPod)
	h.index[q.key] = len(h.items)
	h.items = append(h.items, q)
}
func (h *podHeap) Pop() any {
	last := len(h.items) - 1
	q := h.items[last]
	h.items[last] = nil
	h.items = h.items[:last]
	delete(h.index, q.key)
	return q
}

// get returns the item under key.
func (h *podHeap) get(key string) (*QueuedPod, bool) {
	i, ok := h.index[key]
	if !ok {
		return nil, false
	}
	return h.items[i], true
}

// upsert adds q or replaces the item with the same key.
func (h *podHeap) upsert(q *QueuedPod) {
	if i, ok := h.index[q.key]; ok {
		h.items[i] = q
		heap.Fix(h, i)
		return
	}
	heap.Push(h, q)
}

// remove deletes the item under key, reporting whether it was there.
func (h *podHeap) remove(key string) bool {
	i, ok := h.index[key]
	if !ok {
		return false
	}
	heap.Remove(h, i)
	return true
}

// peek returns the top item or nil.
func (h *podHeap) peek() *QueuedPod {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// pop removes and returns the top item.
func (h *podHeap) pop() *QueuedPod { return heap.Pop(h).(*QueuedPod) }
