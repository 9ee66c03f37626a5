package statefulset_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/statefulset"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(cs, 0)
	c, err := statefulset.New(statefulset.Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs, Informers: factory})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return cs
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// podImages lists live pods of the set as "name=image", by name.
func podImages(ctx context.Context, cs kubernetes.Interface) ([]string, error) {
	l, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p.Name+"="+p.Spec.Containers[0].Image)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ready plays the kubelet for one pod: Running and Ready.
func ready(ctx context.Context, cs kubernetes.Interface, name string) error {
	p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if p.Status.Phase == corev1.PodRunning {
		return nil
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	_, err = cs.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// readyAll marks every live pod of the set ready.
func readyAll(ctx context.Context, cs kubernetes.Interface) error {
	pods, err := podImages(ctx, cs)
	if err != nil {
		return err
	}
	for _, p := range pods {
		name, _, _ := strings.Cut(p, "=")
		if err := ready(ctx, cs, name); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func webSet(replicas int32) *appsv1.StatefulSet {
	lbl := map[string]string{"app": "web"}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			ServiceName: "web",
			Selector:    &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img:1",
					VolumeMounts: []corev1.VolumeMount{{Name: "www", MountPath: "/data"}}}}}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "www"},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
			}},
		},
	}
}

func expect(cs kubernetes.Interface, want ...string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		got, err := podImages(ctx, cs)
		return strings.Join(got, " ") == strings.Join(want, " "), err
	}
}

// consistently fails if pods change from want within d.
func consistently(t *testing.T, cs kubernetes.Interface, d time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok, err := expect(cs, want...)(context.Background()); err != nil || !ok {
			got, _ := podImages(context.Background(), cs)
			t.Fatalf("pods = %v, want still %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStatefulSetLifecycle(t *testing.T) {
	cs := start(t)
	ctx := context.Background()
	if _, err := cs.AppsV1().StatefulSets("default").Create(ctx, webSet(3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// OrderedReady: each pod only once the previous one is Ready.
	poll(t, "web-0", expect(cs, "web-0=img:1"))
	consistently(t, cs, 500*time.Millisecond, "web-0=img:1")
	pvc, err := cs.CoreV1().PersistentVolumeClaims("default").Get(ctx, "www-web-0", metav1.GetOptions{})
	if err != nil || pvc.Labels["app"] != "web" {
		t.Fatalf("claim www-web-0: %v %v", pvc, err)
	}
	pod, _ := cs.CoreV1().Pods("default").Get(ctx, "web-0", metav1.GetOptions{})
	if pod.Spec.Hostname != "web-0" || pod.Spec.Subdomain != "web" || pod.Labels[appsv1.StatefulSetPodNameLabel] != "web-0" ||
		pod.Labels[appsv1.PodIndexLabel] != "0" || pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "www-web-0" {
		t.Errorf("web-0 identity: %+v %+v", pod.Labels, pod.Spec)
	}
	if err := ready(ctx, cs, "web-0"); err != nil {
		t.Fatal(err)
	}
	poll(t, "web-1", expect(cs, "web-0=img:1", "web-1=img:1"))
	consistently(t, cs, 300*time.Millisecond, "web-0=img:1", "web-1=img:1")
	if err := ready(ctx, cs, "web-1"); err != nil {
		t.Fatal(err)
	}
	poll(t, "web-2", expect(cs, "web-0=img:1", "web-1=img:1", "web-2=img:1"))
	if err := ready(ctx, cs, "web-2"); err != nil {
		t.Fatal(err)
	}
	poll(t, "status", func(ctx context.Context) (bool, error) {
		s, err := cs.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
		st := s.Status
		return err == nil && st.Replicas == 3 && st.ReadyReplicas == 3 && st.AvailableReplicas == 3 && st.CurrentReplicas == 3 &&
			st.UpdatedReplicas == 3 && st.CurrentRevision != "" && st.CurrentRevision == st.UpdateRevision && st.ObservedGeneration == s.Generation, err
	})
	for _, c := range []string{"www-web-1", "www-web-2"} {
		if _, err := cs.CoreV1().PersistentVolumeClaims("default").Get(ctx, c, metav1.GetOptions{}); err != nil {
			t.Errorf("claim %s: %v", c, err)
		}
	}
	scaleDownAndUp(t, cs)
	partitionedUpdate(t, cs)
	assertEvents(t, cs)
}

// scaleDownAndUp scales 3 → 1, checking web-2 goes before web-1, and back.
func scaleDownAndUp(t *testing.T, cs kubernetes.Interface) {
	scale(t, cs, 1)
	poll(t, "scaled to 1", func(ctx context.Context) (bool, error) {
		got, err := podImages(ctx, cs)
		if len(got) == 2 && got[1] != "web-1=img:1" {
			return false, fmt.Errorf("web-1 deleted before web-2: %v", got)
		}
		return strings.Join(got, " ") == "web-0=img:1", err
	})
	scale(t, cs, 3)
	poll(t, "scaled back to 3", func(ctx context.Context) (bool, error) {
		if err := readyAll(ctx, cs); err != nil {
			return false, err
		}
		return expect(cs, "web-0=img:1", "web-1=img:1", "web-2=img:1")(ctx)
	})
}

// partitionedUpdate rolls to img:2 with partition 2 (only web-2 moves),
// then with partition 0 (all move and the update revision becomes current).
func partitionedUpdate(t *testing.T, cs kubernetes.Interface) {
	ctx := context.Background()
	update(t, cs, func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](2)}
		set.Spec.Template.Spec.Containers[0].Image = "img:2"
	})
	poll(t, "partition 2 rolled", func(ctx context.Context) (bool, error) {
		if err := readyAll(ctx, cs); err != nil {
			return false, err
		}
		return expect(cs, "web-0=img:1", "web-1=img:1", "web-2=img:2")(ctx)
	})
	consistently(t, cs, 300*time.Millisecond, "web-0=img:1", "web-1=img:1", "web-2=img:2")
	s, _ := cs.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
	if s.Status.CurrentRevision == s.Status.UpdateRevision || s.Status.UpdatedReplicas != 1 {
		t.Errorf("partitioned update status: %+v", s.Status)
	}
	update(t, cs, func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](0) })
	poll(t, "fully rolled", func(ctx context.Context) (bool, error) {
		if err := readyAll(ctx, cs); err != nil {
			return false, err
		}
		ok, err := expect(cs, "web-0=img:2", "web-1=img:2", "web-2=img:2")(ctx)
		if !ok || err != nil {
			return false, err
		}
		s, err := cs.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && s.Status.CurrentRevision == s.Status.UpdateRevision && s.Status.UpdatedReplicas == 3, err
	})
	revs, err := cs.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(revs.Items) != 2 {
		t.Fatalf("revisions: %v %v", revs, err)
	}
}

func assertEvents(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	evs, _ := cs.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
	msgs := map[string]bool{}
	for _, e := range evs.Items {
		msgs[e.Reason+": "+e.Message] = true
	}
	for _, m := range []string{"SuccessfulCreate: create Pod web-0 in StatefulSet web successful",
		"SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success",
		"SuccessfulDelete: delete Pod web-2 in StatefulSet web successful"} {
		if !msgs[m] {
			t.Errorf("missing event %q", m)
		}
	}
}

func scale(t *testing.T, cs kubernetes.Interface, n int32) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sc, err := cs.AppsV1().StatefulSets("default").GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		sc.Spec.Replicas = n
		_, err = cs.AppsV1().StatefulSets("default").UpdateScale(ctx, "web", sc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// update changes the set, retrying on conflicts with the controller's
// status writes.
func update(t *testing.T, cs kubernetes.Interface, mutate func(*appsv1.StatefulSet)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		set, err := cs.AppsV1().StatefulSets("default").Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(set)
		_, err = cs.AppsV1().StatefulSets("default").Update(context.Background(), set, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
