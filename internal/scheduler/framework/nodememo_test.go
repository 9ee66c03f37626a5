package framework

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func TestNodeMemo(t *testing.T) {
	newNode := func() *NodeInfo { return NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}) }
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", UID: "p"}}
	for _, tc := range []struct {
		name string
		// change returns the NodeInfo asked for after Set on n.
		change func(n *NodeInfo) *NodeInfo
		want   bool
	}{
		{name: "unchanged", change: func(n *NodeInfo) *NodeInfo { return n }, want: true},
		{name: "pod added in place", change: func(n *NodeInfo) *NodeInfo { n.AddPod(NewPodInfo(pod)); return n }},
		{name: "pod removed in place", change: func(n *NodeInfo) *NodeInfo { n.RemovePod("p"); return n }},
		{name: "absent pod removed", change: func(n *NodeInfo) *NodeInfo { n.RemovePod("nope"); return n }, want: true},
		{name: "node replaced in place", change: func(n *NodeInfo) *NodeInfo { n.SetNode(n.Node); return n }},
		{name: "clone", change: func(n *NodeInfo) *NodeInfo { return n.Clone() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m NodeMemo[int]
			n := newNode()
			n.AddPod(NewPodInfo(pod))
			tab, warm := m.Take("k", 3)
			if warm {
				t.Fatal("new memo is warm")
			}
			tab.Set(1, n, 42)
			m.Put(tab)
			tab, warm = m.Take("k", 3)
			if !warm {
				t.Fatal("table put back is not warm")
			}
			asked := tc.change(n)
			v := tab.Get(1, asked)
			if (v != nil) != tc.want {
				t.Fatalf("remembered = %v, want %v", v != nil, tc.want)
			}
			if v != nil && *v != 42 {
				t.Errorf("value %d, want 42", *v)
			}
			if tab.Get(0, n) != nil || tab.Get(2, n) != nil {
				t.Error("value found at another position")
			}
		})
	}
}

func TestNodeMemoLimitAndResize(t *testing.T) {
	m := NodeMemo[string]{Limit: 2}
	n := NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}})
	for _, k := range []string{"a", "b", "c"} {
		tab, _ := m.Take(k, 4)
		tab.Set(3, n, k)
		m.Put(tab)
	}
	for _, c := range []struct {
		key  string
		want bool
	}{{"b", true}, {"c", true}, {"a", false}} {
		tab, warm := m.Take(c.key, 4)
		if warm != c.want {
			t.Errorf("%s: warm = %v, want %v (least recently used goes first)", c.key, warm, c.want)
		}
		if got := tab.Get(3, n) != nil; got != c.want {
			t.Errorf("%s: remembered = %v, want %v", c.key, got, c.want)
		}
		if c.want {
			m.Put(tab)
		}
	}
	tab, _ := m.Take("b", 2) // fewer nodes: positions past the end are forgotten
	tab2 := tab
	m.Put(tab)
	tab, _ = m.Take("b", 4)
	if tab != tab2 || tab.Get(3, n) != nil {
		t.Error("shrunk table still remembers position 3")
	}
}

func TestSelectorKey(t *testing.T) {
	sel := func(ls *metav1.LabelSelector) labels.Selector {
		s, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	keys := map[string]labels.Selector{
		"nil":        nil,
		"nothing":    sel(nil),
		"everything": sel(&metav1.LabelSelector{}),
		"app=web":    sel(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}),
		"app=db":     sel(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}),
	}
	seen := map[string]string{}
	for name, s := range keys {
		k := SelectorKey(s)
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share key %q", name, other, k)
		}
		seen[k] = name
	}
	a := sel(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "a", Operator: metav1.LabelSelectorOpIn, Values: []string{"1"}}, {Key: "b", Operator: metav1.LabelSelectorOpIn, Values: []string{"2"}}}})
	b := sel(&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "b", Operator: metav1.LabelSelectorOpIn, Values: []string{"2"}}, {Key: "a", Operator: metav1.LabelSelectorOpIn, Values: []string{"1"}}}})
	if SelectorKey(a) != SelectorKey(b) {
		t.Errorf("same requirements in another order, keys %q and %q", SelectorKey(a), SelectorKey(b))
	}
}
