package admission_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// recorder appends its name to a shared log when called.
type recorder struct {
	name string
	log  *[]string
	err  error
}

func (r *recorder) Name() string { return r.name }

type mutator struct{ recorder }

func (m *mutator) Admit(_ context.Context, _ *admission.Attributes) error {
	*m.log = append(*m.log, "admit:"+m.name)
	return m.err
}

type validator struct{ recorder }

func (v *validator) Validate(_ context.Context, a *admission.Attributes) error {
	*v.log = append(*v.log, "validate:"+v.name)
	a.AddWarning("from " + v.name)
	return v.err
}

type both struct {
	mutator
}

func (b *both) Validate(_ context.Context, _ *admission.Attributes) error {
	*b.log = append(*b.log, "validate:"+b.name)
	return nil
}

func TestChainOrder(t *testing.T) {
	var log []string
	forbidden := apierrors.NewForbidden(corev1.Resource("pods"), "p", errors.New("no"))
	tests := []struct {
		name    string
		plugins func() []admission.Plugin
		want    string
		wantErr string
	}{
		{"mutators before validators in given order", func() []admission.Plugin {
			return []admission.Plugin{&validator{recorder{"v1", &log, nil}}, &mutator{recorder{"m1", &log, nil}},
				&both{mutator{recorder{"b", &log, nil}}}, &mutator{recorder{"m2", &log, nil}}}
		}, "admit:m1 admit:b admit:m2 validate:v1 validate:b", ""},
		{"a refusing mutator stops the chain", func() []admission.Plugin {
			return []admission.Plugin{&mutator{recorder{"m1", &log, forbidden}}, &mutator{recorder{"m2", &log, nil}}}
		}, "admit:m1", `pods "p" is forbidden: no`},
		{"a fault names the plugin", func() []admission.Plugin {
			return []admission.Plugin{&validator{recorder{"v1", &log, errors.New("boom")}}}
		}, "validate:v1", `admission plugin "v1": boom`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log = nil
			c := admission.NewChain(tt.plugins()...)
			a := &admission.Attributes{}
			err := c.Admit(context.Background(), a)
			if err == nil {
				err = c.Validate(context.Background(), a)
			}
			if got := strings.Join(log, " "); got != tt.want {
				t.Errorf("calls = %q, want %q", got, tt.want)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if err != nil && tt.wantErr != "" && strings.Contains(tt.wantErr, "forbidden") && !apierrors.IsForbidden(err) {
				t.Errorf("err %v is not a 403", err)
			}
		})
	}
}

func TestNilChainAdmitsAll(t *testing.T) {
	var c *admission.Chain
	if err := c.Admit(context.Background(), &admission.Attributes{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(context.Background(), &admission.Attributes{}); err != nil {
		t.Fatal(err)
	}
}

func TestDisplayNameAndForbidden(t *testing.T) {
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	tests := []struct {
		name string
		a    admission.Attributes
		want string
	}{
		{"request name", admission.Attributes{Resource: pods, Name: "a"}, `pods "a" is forbidden: x`},
		{"object name", admission.Attributes{Resource: pods, Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "b"}}}, `pods "b" is forbidden: x`},
		{"generateName", admission.Attributes{Resource: pods, Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-"}}}, `pods "web-" is forbidden: x`},
		{"nothing", admission.Attributes{Resource: pods}, `pods "Unknown" is forbidden: x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := admission.Forbidden(&tt.a, errors.New("x"))
			if err.Error() != tt.want || !apierrors.IsForbidden(err) {
				t.Errorf("got %v, want 403 %q", err, tt.want)
			}
		})
	}
}

func TestIsPodCreate(t *testing.T) {
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	pod := &corev1.Pod{}
	tests := []struct {
		name string
		a    admission.Attributes
		want bool
	}{
		{"pod create", admission.Attributes{Operation: admission.Create, Resource: pods, Object: pod}, true},
		{"pod update", admission.Attributes{Operation: admission.Update, Resource: pods, Object: pod}, false},
		{"subresource", admission.Attributes{Operation: admission.Create, Resource: pods, Subresource: "binding", Object: pod}, false},
		{"other resource", admission.Attributes{Operation: admission.Create, Resource: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, Object: pod}, false},
	}
	for _, tt := range tests {
		if _, got := admission.IsPodCreate(&tt.a); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
