package framework

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// TestLabelMatcherAgreesWithSelector: for every selector and label set,
// the matcher answers what the selector answers, on the fast path or not.
func TestLabelMatcherAgreesWithSelector(t *testing.T) {
	sets := []map[string]string{
		nil,
		{},
		{"app": "web"},
		{"app": "db"},
		{"app": "web", "tier": "front"},
		{"app": "", "tier": "back"},
		{"tier": "front", "n": "7"},
		{"n": "12", "app": "web"},
	}
	mustParse := func(s string) labels.Selector {
		sel, err := labels.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return sel
	}
	fromLabelSelector := func(ls *metav1.LabelSelector) labels.Selector {
		sel, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			t.Fatal(err)
		}
		return sel
	}
	req, err := labels.NewRequirement("app", selection.In, []string{"web", "db"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sel  labels.Selector
		fast bool
	}{
		{"everything", labels.Everything(), true},
		{"nothing", labels.Nothing(), false},
		{"nil LabelSelector", fromLabelSelector(nil), false},
		{"empty LabelSelector", fromLabelSelector(&metav1.LabelSelector{}), true},
		{"matchLabels", fromLabelSelector(&metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}), true},
		{"matchLabels empty value", fromLabelSelector(&metav1.LabelSelector{MatchLabels: map[string]string{"app": ""}}), true},
		{"equals", mustParse("app=web"), true},
		{"double equals", mustParse("app==db"), true},
		{"not equals", mustParse("app!=web"), true},
		{"in", labels.NewSelector().Add(*req), true},
		{"notin", mustParse("app notin (web,db)"), true},
		{"exists", mustParse("tier"), true},
		{"does not exist", mustParse("!tier"), true},
		{"mixed", mustParse("app in (web),tier,!n"), true},
		{"gt falls back", mustParse("n>8"), false},
		{"lt with others falls back", mustParse("app=web,n<20"), false},
	} {
		m := NewLabelMatcher(tc.sel)
		if m.listed != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.name, m.listed, tc.fast)
		}
		for _, l := range sets {
			if got, want := m.Matches(l), tc.sel.Matches(labels.Set(l)); got != want {
				t.Errorf("%s on %v: matcher %v, selector %v", tc.name, l, got, want)
			}
		}
	}
	var zero LabelMatcher
	fromNil := NewLabelMatcher(nil)
	if zero.Matches(map[string]string{"app": "web"}) || fromNil.Matches(nil) {
		t.Error("a matcher without selector matched")
	}
}
