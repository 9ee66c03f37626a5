package history

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

func template(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
	}
}

func TestPatchRoundTrip(t *testing.T) {
	data, err := Patch(template("nginx:1"))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(data, []byte(`{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx:1","resources":{}}]}}}}`)) {
		t.Errorf("patch = %s", data)
	}
	got, err := Template(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Containers[0].Image != "nginx:1" || got.Labels["app"] != "web" {
		t.Errorf("template = %+v", got)
	}
}

func TestHashAndEqual(t *testing.T) {
	a, _ := Patch(template("nginx:1"))
	b, _ := Patch(template("nginx:2"))
	one := int32(1)
	tests := []struct {
		name string
		x, y string
		same bool
	}{
		{"same data", Hash(a, nil), Hash(a, nil), true},
		{"other data", Hash(a, nil), Hash(b, nil), false},
		{"collision count changes hash", Hash(a, nil), Hash(a, &one), false},
	}
	for _, tt := range tests {
		if (tt.x == tt.y) != tt.same {
			t.Errorf("%s: %q vs %q", tt.name, tt.x, tt.y)
		}
	}
	if !Equal([]byte(`{"a": 1, "b":[1,2]}`), []byte(`{"b":[1,2],"a":1}`)) {
		t.Error("Equal must ignore formatting and key order")
	}
	if Equal(a, b) {
		t.Error("different templates compare equal")
	}
	long := string(make([]byte, 300))
	if n := Name(long, "abc"); len(n) != maxPrefix+4 {
		t.Errorf("Name length = %d", len(n))
	}
}

func revs(nums ...int64) []*appsv1.ControllerRevision {
	var out []*appsv1.ControllerRevision
	for _, n := range nums {
		out = append(out, &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "r" + string(rune('0'+n))}, Revision: n})
	}
	return out
}

func TestPrunableAndNext(t *testing.T) {
	tests := []struct {
		name  string
		revs  []*appsv1.ControllerRevision
		live  map[string]bool
		limit int
		want  []string
	}{
		{"under limit", revs(1, 2, 3), nil, 5, nil},
		{"oldest go first", revs(1, 2, 3, 4), map[string]bool{"r4": true}, 1, []string{"r1", "r2"}},
		{"live never pruned", revs(1, 2, 3), map[string]bool{"r1": true, "r3": true}, 0, []string{"r2"}},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range Prunable(tt.revs, tt.live, tt.limit) {
			got = append(got, r.Name)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) || (len(got) > 1 && got[1] != tt.want[1]) {
			t.Errorf("%s: got %v want %v", tt.name, got, tt.want)
		}
	}
	r := revs(3, 1, 2)
	Sort(r)
	if r[0].Revision != 1 || r[2].Revision != 3 || Next(r) != 4 || Next(nil) != 1 {
		t.Errorf("sort/next wrong: %v %v %v", r[0].Revision, r[2].Revision, Next(r))
	}
}

func TestDecide(t *testing.T) {
	owner := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "ds", UID: "owner"}}
	deleting := owner.DeepCopy()
	now := metav1.Now()
	deleting.DeletionTimestamp = &now
	kind := appsv1.SchemeGroupVersion.WithKind("DaemonSet")
	sel := labels.SelectorFromSet(labels.Set{"app": "web"})
	pod := func(lbl string, ctrl types.UID, gone bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": lbl}}}
		if ctrl != "" {
			o := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "x", UID: ctrl}}
			p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(o, kind)}
		}
		if gone {
			p.DeletionTimestamp = &now
		}
		return p
	}
	tests := []struct {
		name  string
		owner metav1.Object
		obj   *corev1.Pod
		want  Claim
	}{
		{"ours and matching", owner, pod("web", "owner", false), Keep},
		{"ours, stopped matching", owner, pod("db", "owner", false), Release},
		{"ours, stopped matching, owner deleting", deleting, pod("db", "owner", false), Ignore},
		{"someone else's", owner, pod("web", "other", false), Ignore},
		{"matching orphan", owner, pod("web", "", false), Adopt},
		{"orphan being deleted", owner, pod("web", "", true), Ignore},
		{"orphan, owner deleting", deleting, pod("web", "", false), Ignore},
		{"non-matching orphan", owner, pod("db", "", false), Ignore},
	}
	for _, tt := range tests {
		if got := Decide(tt.owner, tt.obj, sel); got != tt.want {
			t.Errorf("%s: got %v want %v", tt.name, got, tt.want)
		}
	}
}
