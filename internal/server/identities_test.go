package server

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/capstan/capstan/internal/pki"
)

func TestIdentitiesIssueComponentCertificates(t *testing.T) {
	ca, err := pki.NewCA("test-ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ids := newIdentities(ca, "https://127.0.0.1:6443")
	sched, err := ids.scheduler()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ids.serviceAccount("replicaset-controller")
	if err != nil {
		t.Fatal(err)
	}
	again, err := ids.serviceAccount("replicaset-controller")
	if err != nil {
		t.Fatal(err)
	}
	if string(again.CertData) != string(rs.CertData) {
		t.Error("second config of the same identity issued a new certificate")
	}
	for _, tt := range []struct {
		certPEM    []byte
		cn         string
		orgs       []string
		notMasters bool
	}{
		{sched.CertData, "system:kube-scheduler", nil, true},
		{rs.CertData, "system:serviceaccount:kube-system:replicaset-controller", []string{"system:serviceaccounts", "system:serviceaccounts:kube-system"}, true},
	} {
		cert, err := pki.ParseCertPEM(tt.certPEM)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Subject.CommonName != tt.cn || !slices.Equal(cert.Subject.Organization, tt.orgs) {
			t.Errorf("certificate subject = %q %v, want %q %v", cert.Subject.CommonName, cert.Subject.Organization, tt.cn, tt.orgs)
		}
		if slices.Contains(cert.Subject.Organization, "system:masters") {
			t.Errorf("%s is in system:masters", tt.cn)
		}
		if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
			t.Errorf("%s not signed by the cluster CA: %v", tt.cn, err)
		}
	}
}

func TestEnsureServiceAccounts(t *testing.T) {
	cs := fake.NewClientset(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"}})
	names := componentServiceAccounts()
	for range 2 { // idempotent
		if err := ensureServiceAccounts(context.Background(), cs, names); err != nil {
			t.Fatal(err)
		}
	}
	list, err := cs.CoreV1().ServiceAccounts("kube-system").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != len(names) || !slices.Contains(names, "replicaset-controller") || !slices.Contains(names, "coredns") {
		t.Errorf("service accounts = %d for %d names %v", len(list.Items), len(names), names)
	}
}

func TestLabelControlPlaneNode(t *testing.T) {
	cs := fake.NewClientset()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		labelControlPlaneNode(ctx, cs, "cp", time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	// The node registers later, with its kubelet's labels only.
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp", Labels: map[string]string{"kubernetes.io/hostname": "cp"}}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("labeller did not finish")
	}
	got, err := cs.CoreV1().Nodes().Get(ctx, "cp", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Labels[labelControlPlane]; !ok || got.Labels["kubernetes.io/hostname"] != "cp" {
		t.Errorf("labels = %v, want control-plane added and hostname kept", got.Labels)
	}
}
