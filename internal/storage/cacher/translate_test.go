package cacher

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

func colored(name, color, rv string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", ResourceVersion: rv,
		Labels: map[string]string{"c": color}}}
}

func blue(o runtime.Object) bool { return o.(*corev1.ConfigMap).Labels["c"] == "blue" }

func TestTranslate(t *testing.T) {
	tests := []struct {
		name     string
		ch       *change
		filter   func(runtime.Object) bool
		wantOK   bool
		wantType watch.EventType
		wantObj  string // "cur" or "prev"
		wantRV   string
	}{
		{"added, no filter", &change{typ: watch.Added, obj: colored("a", "red", "5")}, nil, true, watch.Added, "cur", "5"},
		{"added outside filter", &change{typ: watch.Added, obj: colored("a", "red", "5")}, blue, false, "", "", ""},
		{"added inside filter", &change{typ: watch.Added, obj: colored("a", "blue", "5")}, blue, true, watch.Added, "cur", "5"},
		{"modified, no filter", &change{typ: watch.Modified, obj: colored("a", "red", "6"), prev: colored("a", "red", "5")}, nil, true, watch.Modified, "cur", "6"},
		{"modified inside filter", &change{typ: watch.Modified, obj: colored("a", "blue", "6"), prev: colored("a", "blue", "5")}, blue, true, watch.Modified, "cur", "6"},
		{"moved into filter", &change{typ: watch.Modified, obj: colored("a", "blue", "6"), prev: colored("a", "red", "5")}, blue, true, watch.Added, "cur", "6"},
		{"moved out of filter", &change{typ: watch.Modified, obj: colored("a", "red", "6"), prev: colored("a", "blue", "5")}, blue, true, watch.Deleted, "prev", "6"},
		{"modified outside filter", &change{typ: watch.Modified, obj: colored("a", "red", "6"), prev: colored("a", "red", "5")}, blue, false, "", "", ""},
		{"deleted inside filter", &change{typ: watch.Deleted, obj: colored("a", "blue", "7")}, blue, true, watch.Deleted, "cur", "7"},
		{"deleted outside filter", &change{typ: watch.Deleted, obj: colored("a", "red", "7")}, blue, false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ch.rev = 6
			var f func(runtime.Object) bool
			if tt.filter != nil {
				f = tt.filter
			}
			e, ok := translate(tt.ch, f)
			if ok != tt.wantOK {
				t.Fatalf("delivered %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if e.Type != tt.wantType || e.Revision != 6 {
				t.Fatalf("event %s at %d, want %s at 6", e.Type, e.Revision, tt.wantType)
			}
			got := e.Object.(*corev1.ConfigMap)
			if got.ResourceVersion != tt.wantRV {
				t.Errorf("resourceVersion %s, want %s", got.ResourceVersion, tt.wantRV)
			}
			if tt.wantObj == "prev" && got.Labels["c"] != tt.ch.prev.(*corev1.ConfigMap).Labels["c"] {
				t.Errorf("object is not the previous one: %v", got.Labels)
			}
			if tt.wantObj == "prev" && tt.ch.prev.(*corev1.ConfigMap).ResourceVersion != "5" {
				t.Error("translate mutated the cached previous object")
			}
		})
	}
}

func TestWatcherMatchesKeys(t *testing.T) {
	tests := []struct {
		key       string
		recursive bool
		after     int64
		chKey     string
		want      bool
	}{
		{"/configmaps/", true, 0, "/configmaps/ns/a", true},
		{"/configmaps/ns/", true, 0, "/configmaps/ns2/a", false},
		{"/configmaps/ns/a", false, 0, "/configmaps/ns/a", true},
		{"/configmaps/ns/a", false, 0, "/configmaps/ns/ab", false},
		{"/configmaps/", true, 6, "/configmaps/ns/a", false},
		{"/configmaps/", true, 5, "/configmaps/ns/a", true},
	}
	for _, tt := range tests {
		w := &watcher{key: tt.key, recursive: tt.recursive, after: tt.after}
		_, ok := w.translate(&change{key: tt.chKey, typ: watch.Added, obj: colored("a", "red", "6"), rev: 6})
		if ok != tt.want {
			t.Errorf("watch %q recursive=%v after=%d, change %q: delivered %v, want %v", tt.key, tt.recursive, tt.after, tt.chKey, ok, tt.want)
		}
	}
}

func TestRing(t *testing.T) {
	r := newRing(3)
	var evicted []int64
	for rev := int64(1); rev <= 5; rev++ {
		if old := r.push(&change{rev: rev * 10}); old != nil {
			evicted = append(evicted, old.rev)
		}
	}
	if len(evicted) != 2 || evicted[0] != 10 || evicted[1] != 20 {
		t.Fatalf("evicted %v, want [10 20]", evicted)
	}
	tests := []struct {
		after int64
		want  []int64
	}{
		{0, []int64{30, 40, 50}},
		{30, []int64{40, 50}},
		{35, []int64{40, 50}},
		{50, nil},
		{99, nil},
	}
	for _, tt := range tests {
		var got []int64
		for _, c := range r.after(tt.after) {
			got = append(got, c.rev)
		}
		if len(got) != len(tt.want) {
			t.Errorf("after(%d) = %v, want %v", tt.after, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("after(%d) = %v, want %v", tt.after, got, tt.want)
			}
		}
	}
	r.reset()
	if len(r.after(0)) != 0 {
		t.Error("reset ring still holds changes")
	}
}
