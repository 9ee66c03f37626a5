package deployment_test

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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/deployment"
	"github.com/capstan/capstan/internal/controller/replicaset"
)

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// start runs an API server with the Deployment and ReplicaSet controllers
// and returns a client and a fresh namespace.
func start(t testing.TB, log *slog.Logger) (*kubernetes.Clientset, string) {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(cs, 0)
	rsc, err := replicaset.New(replicaset.Options{Log: log, Client: cs, Informers: factory})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := deployment.New(deployment.Options{Log: log, Client: cs, Informers: factory})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{}, 2)
	go func() { _ = rsc.Run(ctx, 5); done <- struct{}{} }()
	go func() { _ = dc.Run(ctx, 5); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; factory.Shutdown() })
	ns := "test"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return cs, ns
}

func testLog(t testing.TB) *slog.Logger { return slog.New(slog.NewTextHandler(testWriter{t}, nil)) }

func poll(t testing.TB, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func newDeployment(name string, n int32, image string) *appsv1.Deployment {
	surge, unavail := intstr.FromInt32(1), intstr.FromInt32(0)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail}},
		},
	}
}

// replicaSets returns d's ReplicaSets, oldest revision first.
func replicaSets(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns string, d *appsv1.Deployment) []appsv1.ReplicaSet {
	t.Helper()
	l, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []appsv1.ReplicaSet
	for _, rs := range l.Items {
		if ref := metav1.GetControllerOf(&rs); ref != nil && ref.UID == d.UID {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Annotations[deployment.RevisionAnnotation] < out[j].Annotations[deployment.RevisionAnnotation]
	})
	return out
}

// readyAll marks every active, not yet ready pod Running and Ready, the way
// a kubelet would, and returns how many it marked.
func readyAll(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns string) int {
	t.Helper()
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range l.Items {
		p := &l.Items[i]
		if p.DeletionTimestamp != nil || replicaset.IsPodReady(p) {
			continue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err == nil {
			n++
		}
	}
	return n
}

func activePods(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns string) int {
	t.Helper()
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range l.Items {
		if replicaset.IsPodActive(&p) {
			n++
		}
	}
	return n
}

func getDeployment(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func condition(d *appsv1.Deployment, ty appsv1.DeploymentConditionType) appsv1.DeploymentCondition {
	if c := deployment.Condition(&d.Status, ty); c != nil {
		return *c
	}
	return appsv1.DeploymentCondition{}
}

func setImage(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, name, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":%q}]}}}}`, image)
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// complete reports whether the rollout of d is done the way
// `kubectl rollout status` decides it.
func complete(d *appsv1.Deployment) bool {
	return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == *d.Spec.Replicas &&
		d.Status.Replicas == d.Status.UpdatedReplicas && d.Status.AvailableReplicas == d.Status.UpdatedReplicas
}

func TestDeploymentRollout(t *testing.T) {
	cs, ns := start(t, testLog(t))
	ctx := context.Background()
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, newDeployment("web", 3, "img:1"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "3 pods", func(ctx context.Context) (bool, error) { return activePods(ctx, t, cs, ns) == 3, nil })
	rss := replicaSets(ctx, t, cs, ns, d)
	if len(rss) != 1 {
		t.Fatalf("%d replicasets, want 1", len(rss))
	}
	hash := deployment.ComputeHash(&d.Spec.Template, nil)
	if rss[0].Name != "web-"+hash || rss[0].Labels[deployment.HashLabel] != hash || rss[0].Annotations[deployment.RevisionAnnotation] != "1" {
		t.Fatalf("replicaset %s labels %v annotations %v", rss[0].Name, rss[0].Labels, rss[0].Annotations)
	}
	readyAll(ctx, t, cs, ns)
	poll(t, "available", func(ctx context.Context) (bool, error) {
		d := getDeployment(ctx, t, cs, ns, "web")
		return complete(d) && condition(d, appsv1.DeploymentAvailable).Reason == deployment.ReasonMinimumAvailable &&
			condition(d, appsv1.DeploymentProgressing).Reason == deployment.ReasonNewRSAvailable, nil
	})
	setImage(ctx, t, cs, ns, "web", "img:2")
	poll(t, "rolled out respecting maxSurge=1 maxUnavailable=0", func(ctx context.Context) (bool, error) {
		var spec, avail int32
		for _, rs := range replicaSets(ctx, t, cs, ns, d) {
			spec += *rs.Spec.Replicas
			avail += rs.Status.AvailableReplicas
		}
		if spec > 4 {
			t.Fatalf("replicasets sized %d, more than replicas+maxSurge", spec)
		}
		if avail < 3 {
			t.Fatalf("%d available, fewer than replicas-maxUnavailable", avail)
		}
		readyAll(ctx, t, cs, ns)
		return complete(getDeployment(ctx, t, cs, ns, "web")), nil
	})
	rss = replicaSets(ctx, t, cs, ns, d)
	if len(rss) != 2 || *rss[0].Spec.Replicas != 0 || *rss[1].Spec.Replicas != 3 || rss[1].Annotations[deployment.RevisionAnnotation] != "2" {
		t.Fatalf("after rollout: %v", summary(rss))
	}
	if got := getDeployment(ctx, t, cs, ns, "web").Annotations[deployment.RevisionAnnotation]; got != "2" {
		t.Fatalf("deployment revision %q, want 2", got)
	}
	before := getDeployment(ctx, t, cs, ns, "web").ResourceVersion
	time.Sleep(time.Second)
	if after := getDeployment(ctx, t, cs, ns, "web").ResourceVersion; after != before {
		t.Fatalf("deployment still rewritten after the rollout: resourceVersion %s -> %s", before, after)
	}
	poll(t, "ScalingReplicaSet event", func(ctx context.Context) (bool, error) {
		evs, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		for _, e := range evs.Items {
			if e.Reason == "ScalingReplicaSet" && e.Message == fmt.Sprintf("Scaled down replica set %s from 1 to 0", rss[0].Name) {
				return true, nil
			}
		}
		return false, err
	})
}

func summary(rss []appsv1.ReplicaSet) string {
	var b strings.Builder
	for _, rs := range rss {
		fmt.Fprintf(&b, "%s rev=%s spec=%d avail=%d; ", rs.Name, rs.Annotations[deployment.RevisionAnnotation], *rs.Spec.Replicas, rs.Status.AvailableReplicas)
	}
	return b.String()
}

func TestDeploymentPauseAndHistoryLimit(t *testing.T) {
	cs, ns := start(t, testLog(t))
	ctx := context.Background()
	spec := newDeployment("api", 2, "img:1")
	one := int32(1)
	spec.Spec.RevisionHistoryLimit = &one
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, spec, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rollout := func(image string) {
		t.Helper()
		setImage(ctx, t, cs, ns, "api", image)
		poll(t, "rollout of "+image, func(ctx context.Context) (bool, error) {
			readyAll(ctx, t, cs, ns)
			d := getDeployment(ctx, t, cs, ns, "api")
			return complete(d) && d.Spec.Template.Spec.Containers[0].Image == image, nil
		})
	}
	rollout("img:1")
	rollout("img:2")
	rollout("img:3")
	poll(t, "history trimmed to 1 old replicaset", func(ctx context.Context) (bool, error) {
		return len(replicaSets(ctx, t, cs, ns, d)) == 2, nil
	})
	if rss := replicaSets(ctx, t, cs, ns, d); rss[0].Annotations[deployment.RevisionAnnotation] != "2" || rss[1].Annotations[deployment.RevisionAnnotation] != "3" {
		t.Fatalf("kept %s", summary(rss))
	}

	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "api", types.MergePatchType, []byte(`{"spec":{"paused":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "paused condition", func(ctx context.Context) (bool, error) {
		return condition(getDeployment(ctx, t, cs, ns, "api"), appsv1.DeploymentProgressing).Reason == deployment.ReasonPaused, nil
	})
	setImage(ctx, t, cs, ns, "api", "img:4")
	poll(t, "paused deployment observed", func(ctx context.Context) (bool, error) {
		d := getDeployment(ctx, t, cs, ns, "api")
		return d.Status.ObservedGeneration == d.Generation, nil
	})
	time.Sleep(300 * time.Millisecond)
	for _, rs := range replicaSets(ctx, t, cs, ns, d) {
		if rs.Spec.Template.Spec.Containers[0].Image == "img:4" {
			t.Fatalf("paused deployment rolled out: %s", summary([]appsv1.ReplicaSet{rs}))
		}
	}
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "api", types.MergePatchType, []byte(`{"spec":{"paused":false}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "resumed rollout", func(ctx context.Context) (bool, error) {
		readyAll(ctx, t, cs, ns)
		d := getDeployment(ctx, t, cs, ns, "api")
		return complete(d) && d.Annotations[deployment.RevisionAnnotation] == "4", nil
	})
}

func TestDeploymentRecreate(t *testing.T) {
	cs, ns := start(t, testLog(t))
	ctx := context.Background()
	spec := newDeployment("batch", 2, "img:1")
	spec.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, spec, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "first rollout", func(ctx context.Context) (bool, error) {
		readyAll(ctx, t, cs, ns)
		return complete(getDeployment(ctx, t, cs, ns, "batch")), nil
	})
	setImage(ctx, t, cs, ns, "batch", "img:2")
	poll(t, "recreate rollout without overlap", func(ctx context.Context) (bool, error) {
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		images := map[string]int{}
		for _, p := range l.Items {
			if p.DeletionTimestamp == nil {
				images[p.Spec.Containers[0].Image]++
			}
		}
		if images["img:1"] > 0 && images["img:2"] > 0 {
			t.Fatalf("old and new pods run together: %v", images)
		}
		readyAll(ctx, t, cs, ns)
		d := getDeployment(ctx, t, cs, ns, "batch")
		return complete(d) && images["img:2"] == 2, nil
	})
	if rss := replicaSets(ctx, t, cs, ns, d); len(rss) != 2 || *rss[0].Spec.Replicas != 0 || *rss[1].Spec.Replicas != 2 {
		t.Fatalf("replicasets %s", summary(rss))
	}
}

func TestDeploymentProgressDeadline(t *testing.T) {
	cs, ns := start(t, testLog(t))
	ctx := context.Background()
	spec := newDeployment("slow", 1, "img:1")
	deadline := int32(1)
	spec.Spec.ProgressDeadlineSeconds = &deadline
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, spec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No pod ever becomes ready: the rollout must time out on its own.
	poll(t, "ProgressDeadlineExceeded", func(ctx context.Context) (bool, error) {
		c := condition(getDeployment(ctx, t, cs, ns, "slow"), appsv1.DeploymentProgressing)
		return c.Reason == deployment.ReasonTimedOut && c.Status == corev1.ConditionFalse &&
			strings.HasSuffix(c.Message, "has timed out progressing."), nil
	})
	d := getDeployment(ctx, t, cs, ns, "slow")
	if a := condition(d, appsv1.DeploymentAvailable); a.Reason != deployment.ReasonMinimumUnavailable || a.Message != "Deployment does not have minimum availability." {
		t.Fatalf("available condition %+v", a)
	}
	readyAll(ctx, t, cs, ns)
	poll(t, "recovered", func(ctx context.Context) (bool, error) {
		c := condition(getDeployment(ctx, t, cs, ns, "slow"), appsv1.DeploymentProgressing)
		return c.Reason == deployment.ReasonNewRSAvailable && c.Status == corev1.ConditionTrue, nil
	})
}
