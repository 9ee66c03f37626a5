package apiserver_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// warnings collects Warning headers as kubectl prints them.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// startAdmitting starts a server running every admission plugin and returns
// a client whose warnings are collected.
func startAdmitting(t *testing.T) (*apiservertest.Server, *kubernetes.Clientset, *warnings) {
	t.Helper()
	srv := apiservertest.Start(t, func(c *apiserver.Config) { c.AdmissionPlugins = nil })
	w := &warnings{}
	cfg := rest.CopyConfig(srv.Config)
	cfg.WarningHandler = w
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, cs, w
}

// namespaceWithAccount creates a namespace and its default service account
// (no serviceaccount controller runs in these tests).
func namespaceWithAccount(t *testing.T, cs kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	if name != "default" {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func simplePod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
}

func TestAdmissionMutatesPods(t *testing.T) {
	ctx := context.Background()
	_, cs, _ := startAdmitting(t)
	namespaceWithAccount(t, cs, "default", nil)
	pods := cs.CoreV1().Pods("default")

	got, err := pods.Create(ctx, simplePod("plain"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.ServiceAccountName != "default" || len(got.Spec.ImagePullSecrets) != 1 || got.Spec.ImagePullSecrets[0].Name != "registry" {
		t.Errorf("service account %q pull secrets %v", got.Spec.ServiceAccountName, got.Spec.ImagePullSecrets)
	}
	if got.Spec.Priority == nil || *got.Spec.Priority != 0 || got.Spec.PreemptionPolicy == nil || *got.Spec.PreemptionPolicy != corev1.PreemptLowerPriority {
		t.Errorf("priority %v policy %v, want 0 PreemptLowerPriority", got.Spec.Priority, got.Spec.PreemptionPolicy)
	}
	tol := map[string]int64{}
	for _, tl := range got.Spec.Tolerations {
		if tl.Effect == corev1.TaintEffectNoExecute && tl.TolerationSeconds != nil {
			tol[tl.Key] = *tl.TolerationSeconds
		}
	}
	if tol[corev1.TaintNodeNotReady] != 300 || tol[corev1.TaintNodeUnreachable] != 300 || len(got.Spec.Tolerations) != 2 {
		t.Errorf("tolerations = %+v", got.Spec.Tolerations)
	}

	// What admission set must survive later writes: a status patch (as the
	// scheduler sends) and a metadata update revalidate the whole pod.
	patch := []byte(`{"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable"}]}}`)
	if _, err := pods.Patch(ctx, "plain", types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("status patch after admission: %v", err)
	}
	got, err = pods.Get(ctx, "plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Labels = map[string]string{"touched": "yes"}
	if _, err := pods.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update after admission: %v", err)
	}

	critical := simplePod("critical")
	critical.Spec.PriorityClassName = "system-node-critical"
	if got, err = pods.Create(ctx, critical, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if *got.Spec.Priority != 2000001000 {
		t.Errorf("system-node-critical priority = %d", *got.Spec.Priority)
	}

	tests := []struct {
		name string
		pod  func() *corev1.Pod
		want string
	}{
		{"missing class", func() *corev1.Pod {
			p := simplePod("nopc")
			p.Spec.PriorityClassName = "gold"
			return p
		}, `pods "nopc" is forbidden: no PriorityClass with name gold was found`},
		{"missing account", func() *corev1.Pod {
			p := simplePod("nosa")
			p.Spec.ServiceAccountName = "ghost"
			return p
		}, `pods "nosa" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pods.Create(ctx, tt.pod(), metav1.CreateOptions{})
			if !apierrors.IsForbidden(err) || err.Error() != tt.want {
				t.Errorf("err = %v, want 403 %q", err, tt.want)
			}
		})
	}
}

func TestAdmissionLimitRange(t *testing.T) {
	ctx := context.Background()
	_, cs, _ := startAdmitting(t)
	namespaceWithAccount(t, cs, "limited", nil)
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "limits"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type:           corev1.LimitTypeContainer,
		Default:        corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		DefaultRequest: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		Max:            corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
	}}}}
	if _, err := cs.CoreV1().LimitRanges("limited").Create(ctx, lr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := cs.CoreV1().Pods("limited")
	got, err := pods.Create(ctx, simplePod("defaulted"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := got.Spec.Containers[0].Resources
	if res.Requests.Memory().String() != "128Mi" || res.Limits.Memory().String() != "256Mi" {
		t.Errorf("resources = %+v", res)
	}
	if note := got.Annotations["kubernetes.io/limit-ranger"]; note != "LimitRanger plugin set: memory request for container c; memory limit for container c" {
		t.Errorf("annotation = %q", note)
	}
	big := simplePod("big")
	big.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")}
	_, err = pods.Create(ctx, big, metav1.CreateOptions{})
	want := `pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("err = %v, want 403 %q", err, want)
	}
}

const restrictedViolations = `allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
	`unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
	`runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
	`seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`

func TestAdmissionPodSecurity(t *testing.T) {
	ctx := context.Background()
	_, cs, w := startAdmitting(t)
	namespaceWithAccount(t, cs, "locked", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	namespaceWithAccount(t, cs, "watched", map[string]string{"pod-security.kubernetes.io/warn": "restricted"})

	privileged := simplePod("root")
	privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptrTo(true)}
	_, err := cs.CoreV1().Pods("locked").Create(ctx, privileged, metav1.CreateOptions{})
	want := `pods "root" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), ` + restrictedViolations
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("err = %v\nwant 403 %s", err, want)
	}
	w.take()

	if _, err := cs.CoreV1().Pods("watched").Create(ctx, simplePod("warned"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := w.take(); len(got) != 1 || got[0] != `would violate PodSecurity "restricted:latest": `+restrictedViolations {
		t.Errorf("warnings = %q", got)
	}

	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: simplePod("").Spec}}}
	if _, err := cs.AppsV1().Deployments("locked").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a deployment is never refused: %v", err)
	}
	if got := w.take(); len(got) != 1 || got[0] != `would violate PodSecurity "restricted:latest": `+restrictedViolations {
		t.Errorf("deployment warnings = %q", got)
	}

	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bad",
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "strict"}}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Errorf("invalid level label: err = %v, want 422", err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// kubectl prints the refusal and the warnings as users see them upstream.
func TestAdmissionKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed")
	}
	srv, cs, _ := startAdmitting(t)
	namespaceWithAccount(t, cs, "locked", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	namespaceWithAccount(t, cs, "watched", map[string]string{"pod-security.kubernetes.io/warn": "restricted"})
	run := func(ns string) string {
		cmd := exec.Command(kubectl, "--server", srv.URL, "-n", ns, "run", "c", "--image=busybox", "--restart=Never")
		cmd.Env = append(os.Environ(), "KUBECONFIG=/dev/null")
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := run("locked"); !strings.Contains(out, `Error from server (Forbidden): pods "c" is forbidden: violates PodSecurity "restricted:latest": `+restrictedViolations) {
		t.Errorf("kubectl output:\n%s", out)
	}
	if out := run("watched"); !strings.Contains(out, `Warning: would violate PodSecurity "restricted:latest": `+restrictedViolations) || !strings.Contains(out, "pod/c created") {
		t.Errorf("kubectl output:\n%s", out)
	}
}

func TestSystemPriorityClassesBootstrapped(t *testing.T) {
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	for name, value := range map[string]int32{"system-node-critical": 2000001000, "system-cluster-critical": 2000000000} {
		pc, err := cs.SchedulingV1().PriorityClasses().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil || pc.Value != value {
			t.Errorf("%s: %v, value %v", name, err, pc)
		}
	}
}

// TestDefaultTolerationSecondsConfigured: the server's settings replace the
// 300 s default, as kube-apiserver's --default-*-toleration-seconds do.
func TestDefaultTolerationSecondsConfigured(t *testing.T) {
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		c.AdmissionPlugins = []string{"DefaultTolerationSeconds"}
		c.DefaultNotReadyTolerationSeconds, c.DefaultUnreachableTolerationSeconds = 30, 60
	})
	got, err := srv.Clientset(t, false).CoreV1().Pods("default").Create(context.Background(), simplePod("p"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tol := map[string]int64{}
	for _, tl := range got.Spec.Tolerations {
		if tl.TolerationSeconds != nil {
			tol[tl.Key] = *tl.TolerationSeconds
		}
	}
	if tol[corev1.TaintNodeNotReady] != 30 || tol[corev1.TaintNodeUnreachable] != 60 {
		t.Errorf("tolerations %+v, want not-ready 30 s and unreachable 60 s", got.Spec.Tolerations)
	}
}
