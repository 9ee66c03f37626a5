package rootcacertpublisher

import (
	"context"
	"maps"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func TestDesired(t *testing.T) {
	good := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName, Namespace: "ns",
		Labels: map[string]string{"keep": "me"}, Annotations: map[string]string{DescriptionAnnotation: Description, "other": "x"}},
		Data: map[string]string{DataKey: ca}}
	edited := good.DeepCopy()
	edited.Data = map[string]string{DataKey: "stale", "extra": "y"}
	noNote := good.DeepCopy()
	noNote.Annotations = nil
	binary := good.DeepCopy()
	binary.BinaryData = map[string][]byte{"x": {1}}
	tests := []struct {
		name      string
		cur       *corev1.ConfigMap
		wantWrite bool
	}{
		{"missing is created", nil, true},
		{"in sync is left alone", good, false},
		{"edited data is restored", edited, true},
		{"missing description is restored", noNote, true},
		{"binary data is dropped", binary, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *corev1.ConfigMap
			if tt.cur != nil {
				before = tt.cur.DeepCopy()
			}
			got, write := Desired("ns", tt.cur, ca)
			if write != tt.wantWrite {
				t.Fatalf("write = %v, want %v", write, tt.wantWrite)
			}
			if got.Name != ConfigMapName || got.Namespace != "ns" || !maps.Equal(got.Data, map[string]string{DataKey: ca}) ||
				len(got.BinaryData) != 0 || got.Annotations[DescriptionAnnotation] != Description {
				t.Errorf("desired %+v", got)
			}
			if tt.cur != nil {
				if got.Labels["keep"] != "me" {
					t.Errorf("labels of the existing ConfigMap dropped: %v", got.Labels)
				}
				if !maps.Equal(tt.cur.Data, before.Data) || !maps.Equal(tt.cur.Annotations, before.Annotations) {
					t.Error("Desired mutated the current object (a lister's)")
				}
			}
		})
	}
}

func TestPublishesAndRepairs(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Client: cs, Namespaces: f.Core().V1().Namespaces(), ConfigMaps: f.Core().V1().ConfigMaps(), RootCA: []byte(ca)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() { cancel(); <-done })
	f.Start(ctx.Done())
	go func() { done <- c.Run(ctx, 1) }()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	published := func(want string) {
		t.Helper()
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			cm, err := cs.CoreV1().ConfigMaps("team").Get(ctx, ConfigMapName, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return err == nil && cm.Data[DataKey] == want, err
		})
		if err != nil {
			t.Fatalf("kube-root-ca.crt in team never held the CA: %v", err)
		}
	}
	published(ca)
	for _, ns := range []string{"default", "kube-system"} {
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, ConfigMapName, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}
	cm, err := cs.CoreV1().ConfigMaps("team").Get(ctx, ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data[DataKey] = "tampered"
	if _, err := cs.CoreV1().ConfigMaps("team").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	published(ca)
	if err := cs.CoreV1().ConfigMaps("team").Delete(ctx, ConfigMapName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	published(ca)
}
