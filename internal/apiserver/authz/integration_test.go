package authz_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/controller/clusterroleaggregation"
)

// startRBAC runs an API server with the Node,RBAC chain, the default
// policy and the aggregation controller.
func startRBAC(t *testing.T) (*apiservertest.Server, *kubernetes.Clientset) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var chain *authz.Chain
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		chain = authz.NewForStore(c.Store, slog.New(slog.DiscardHandler), nil)
		c.Authorizer = chain
	})
	if err := chain.Start(ctx); err != nil {
		t.Fatal(err)
	}
	admin := srv.Clientset(t, false)
	if err := authz.ReconcileDefaults(ctx, admin, authz.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	// Reconciling twice changes nothing and fails nothing.
	if err := authz.ReconcileDefaults(ctx, admin, authz.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	f := informers.NewSharedInformerFactory(admin, 0)
	agg, err := clusterroleaggregation.New(clusterroleaggregation.Options{Client: admin, ClusterRoles: f.Rbac().V1().ClusterRoles()})
	if err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	go func() { _ = agg.Run(ctx, 1) }()
	t.Cleanup(func() { cancel(); f.Shutdown() })
	return srv, admin
}

// clientAs is a clientset whose requests are authenticated as u.
func clientAs(t *testing.T, srv *apiservertest.Server, u apiserver.User) *kubernetes.Clientset {
	t.Helper()
	h := srv.API.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(apiserver.WithUser(r.Context(), u)))
	}))
	t.Cleanup(hs.Close)
	return kubernetes.NewForConfigOrDie(&rest.Config{Host: hs.URL, QPS: -1})
}

// eventually polls cond (integration only: the authorizer follows watches).
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestViewUserAndEscalation(t *testing.T) {
	srv, admin := startRBAC(t)
	ctx := context.Background()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	if _, err := admin.CoreV1().Pods("demo").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-view"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}}}
	if _, err := admin.RbacV1().RoleBindings("demo").Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	alice := clientAs(t, srv, apiserver.User{Name: "alice", Groups: []string{"system:authenticated"}})
	eventually(t, "alice lists pods through view", func(ctx context.Context) (bool, error) {
		l, err := alice.CoreV1().Pods("demo").List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 1, nil
	})
	err := alice.CoreV1().Pods("demo").Delete(ctx, "web", metav1.DeleteOptions{})
	want := `pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "demo"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("delete as viewer = %v, want 403 %q", err, want)
	}
	if _, err := alice.CoreV1().Pods("other").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("list in another namespace = %v, want 403", err)
	}

	// Escalation: alice may manage roles in demo (admin) but holds no
	// secrets permissions beyond what admin aggregates... so grant bob a
	// role-writing role only.
	writer := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "role-writer"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"create", "get"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"}},
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	if _, err := admin.RbacV1().Roles("demo").Create(ctx, writer, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb2 := rb.DeepCopy()
	rb2.Name, rb2.RoleRef = "bob-writer", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "role-writer"}
	rb2.Subjects[0].Name = "bob"
	if _, err := admin.RbacV1().RoleBindings("demo").Create(ctx, rb2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bob := clientAs(t, srv, apiserver.User{Name: "bob", Groups: []string{"system:authenticated"}})
	ok := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-getter"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	eventually(t, "bob creates a role within his rights", func(ctx context.Context) (bool, error) {
		_, err := bob.RbacV1().Roles("demo").Create(ctx, ok, metav1.CreateOptions{})
		return err == nil, nil
	})
	bad := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}}
	_, err = bob.RbacV1().Roles("demo").Create(ctx, bad, metav1.CreateOptions{})
	wantEsc := "roles.rbac.authorization.k8s.io \"secret-reader\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}"
	if !apierrors.IsForbidden(err) || err.Error() != wantEsc {
		t.Fatalf("escalating create = %v\nwant %q", err, wantEsc)
	}
	// Binding himself to edit (which he does not hold) is refused too.
	rb3 := rb.DeepCopy()
	rb3.Name, rb3.Subjects[0].Name, rb3.RoleRef.Name = "bob-edit", "bob", "edit"
	if _, err := bob.RbacV1().RoleBindings("demo").Create(ctx, rb3, metav1.CreateOptions{}); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "is attempting to grant RBAC permissions not currently held") {
		t.Fatalf("escalating binding = %v, want 403", err)
	}

	// kubectl auth can-i --list: SelfSubjectRulesReview.
	ssrr, err := alice.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "demo"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasRule(ssrr.Status.ResourceRules, "list", "pods") || hasRule(ssrr.Status.ResourceRules, "delete", "pods") || ssrr.Status.Incomplete {
		t.Errorf("alice's rules in demo: %+v", ssrr.Status)
	}
	if !slices.ContainsFunc(ssrr.Status.NonResourceRules, func(r authorizationv1.NonResourceRule) bool { return slices.Contains(r.NonResourceURLs, "/api") }) {
		t.Errorf("alice's non-resource rules lack discovery: %+v", ssrr.Status.NonResourceRules)
	}
	// SubjectAccessReview reason, as upstream.
	sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "demo", Verb: "get", Resource: "pods"}}}, metav1.CreateOptions{})
	if err != nil || !sar.Status.Allowed || sar.Status.Reason != `RBAC: allowed by RoleBinding "alice-view/demo" of ClusterRole "view" to User "alice"` {
		t.Fatalf("SAR = %+v, %v", sar, err)
	}
}

func hasRule(rules []authorizationv1.ResourceRule, verb, resource string) bool {
	return slices.ContainsFunc(rules, func(r authorizationv1.ResourceRule) bool {
		return (slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*")) && slices.Contains(r.Resources, resource)
	})
}

func TestNodeIdentity(t *testing.T) {
	srv, admin := startRBAC(t)
	ctx := context.Background()
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: "default"}}
	for _, name := range []string{"tls", "unrelated"} {
		sec.Name = name
		if _, err := admin.CoreV1().Secrets("default").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "nginx"}},
		Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}}}}}
	if _, err := admin.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	n1 := clientAs(t, srv, apiserver.User{Name: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}})
	eventually(t, "node reads its pod's secret", func(ctx context.Context) (bool, error) {
		_, err := n1.CoreV1().Secrets("default").Get(ctx, "tls", metav1.GetOptions{})
		return err == nil, nil
	})
	_, err := n1.CoreV1().Secrets("default").Get(ctx, "unrelated", metav1.GetOptions{})
	want := `secrets "unrelated" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("unrelated secret = %v\nwant %q", err, want)
	}
	// A kubelet watches single secrets by field selector, as upstream allows.
	one := func(name string) metav1.ListOptions {
		return metav1.ListOptions{FieldSelector: "metadata.name=" + name}
	}
	if _, err := n1.CoreV1().Secrets("default").List(ctx, one("tls")); err != nil {
		t.Fatalf("node lists its pod's secret by name: %v", err)
	}
	if _, err := n1.CoreV1().Secrets("default").List(ctx, one("unrelated")); !apierrors.IsForbidden(err) {
		t.Fatalf("node lists an unrelated secret by name = %v, want 403", err)
	}
	// The proxy's reads come from the system:node-proxier binding of its
	// own identity, system:kube-proxy; the node has none of them.
	if _, err := n1.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("node lists endpointslices = %v, want 403", err)
	}
	kp := clientAs(t, srv, apiserver.User{Name: "system:kube-proxy", Groups: []string{"system:authenticated"}})
	if _, err := kp.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("kube-proxy lists endpointslices: %v", err)
	}
	if _, err := kp.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("kube-proxy lists secrets = %v, want 403", err)
	}
	if _, err := n1.AppsV1().Deployments("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("node lists deployments = %v, want 403", err)
	}
	// Pod status of its own pod; deleting another node's pod is refused.
	pod2 := pod.DeepCopy()
	pod2.Name, pod2.Spec.NodeName = "other", "n2"
	if _, err := admin.CoreV1().Pods("default").Create(ctx, pod2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cur, err := n1.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Status.Phase = corev1.PodRunning
	if _, err := n1.CoreV1().Pods("default").UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("own pod status: %v", err)
	}
	if err := n1.CoreV1().Pods("default").Delete(ctx, "other", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("delete other node's pod = %v, want 403", err)
	}
	// A pod already gone answers 404, as upstream's kubelet expects.
	if err := n1.CoreV1().Pods("default").Delete(ctx, "gone", metav1.DeleteOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("delete missing pod = %v, want 404", err)
	}
	// Anonymous clients may read kube-public/cluster-info only.
	if _, err := admin.CoreV1().ConfigMaps("kube-public").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cluster-info"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	anon := clientAs(t, srv, apiserver.User{})
	if _, err := anon.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{}); err != nil {
		t.Fatalf("anonymous reads cluster-info: %v", err)
	}
	// Joining nodes: a bootstrap identity may create CSRs, nothing more.
	boot := clientAs(t, srv, apiserver.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:authenticated"}})
	if _, err := boot.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("bootstrapper lists CSRs: %v", err)
	}
	if _, err := boot.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("bootstrapper lists pods = %v, want 403", err)
	}
}
