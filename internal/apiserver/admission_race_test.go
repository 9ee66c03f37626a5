package apiserver_test

import (
	"context"
	"log/slog"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"

	"github.com/capstan/capstan/internal/controller/serviceaccount"
)

// A pod created right after its namespace waits for the serviceaccount
// controller to create the default account instead of failing, as
// upstream's ServiceAccount admission retries the default account.
func TestAdmissionPodRightAfterNamespace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, cs, _ := startAdmitting(t)
	factory := informers.NewSharedInformerFactory(cs, 0)
	core := factory.Core().V1()
	c, err := serviceaccount.New(serviceaccount.Options{Log: slog.New(slog.DiscardHandler), Client: cs,
		Namespaces: core.Namespaces(), ServiceAccounts: core.ServiceAccounts()})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 1) }()
	defer func() { cancel(); <-done }()

	for _, ns := range []string{"fresh-1", "fresh-2", "fresh-3"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pod, err := cs.CoreV1().Pods(ns).Create(ctx, simplePod("first"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("pod right after namespace %s: %v", ns, err)
		}
		if pod.Spec.ServiceAccountName != "default" {
			t.Errorf("service account = %q", pod.Spec.ServiceAccountName)
		}
	}
}
