package certificates

import (
	"context"
	"fmt"
	"log/slog"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certinformers "k8s.io/client-go/informers/certificates/v1"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/pki"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configure a Controller.
type Options struct {
	Log      *slog.Logger
	Client   kubernetes.Interface
	Informer certinformers.CertificateSigningRequestInformer
	// CA signs the certificates.
	CA    *pki.KeyPair
	Clock clock.Clock
}

// Controller approves and signs CSRs.
type Controller struct {
	opts   Options
	lister certlisters.CertificateSigningRequestLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	c := &Controller{
		opts:   o,
		lister: o.Informer.Lister(),
		synced: o.Informer.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "certificates"}),
	}
	enqueue := func(obj any) {
		if csr, ok := obj.(*certv1.CertificateSigningRequest); ok && stateOf(csr) != finished {
			c.queue.Add(csr.Name)
		}
	}
	if _, err := o.Informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch certificatesigningrequests: %w", err)
	}
	return c, nil
}

// Run processes CSRs until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, []cache.InformerSynced{c.synced}, c.opts.Log, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	csr, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	st := stateOf(csr)
	if st == finished {
		return nil
	}
	req, err := parseRequest(csr)
	var spec pki.LeafSpec
	if err == nil {
		spec, err = signingSpec(csr, req)
	}
	switch {
	case err != nil && st == approved && servedSigner(csr.Spec.SignerName):
		return c.condition(ctx, csr, certv1.CertificateFailed, "SignerValidationFailure", err.Error())
	case err != nil:
		return nil // not ours, or not approvable: left for someone else
	case st == pending:
		if msg, ok := autoApproval(csr, spec); ok {
			return c.condition(ctx, csr, certv1.CertificateApproved, "AutoApproved", msg)
		}
		return nil
	}
	pemCert, err := c.opts.CA.SignRequest(req, spec, c.opts.Clock.Now(), validity(csr))
	if err != nil {
		return c.condition(ctx, csr, certv1.CertificateFailed, "SignerValidationFailure", err.Error())
	}
	next := csr.DeepCopy()
	next.Status.Certificate = pemCert
	_, err = c.opts.Client.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, next, metav1.UpdateOptions{})
	return ignoreGone(err)
}

func servedSigner(name string) bool {
	switch name {
	case certv1.KubeAPIServerClientKubeletSignerName, certv1.KubeletServingSignerName, certv1.KubeAPIServerClientSignerName:
		return true
	}
	return false
}

// condition adds an Approved (through the approval subresource) or Failed
// (through status) condition.
func (c *Controller) condition(ctx context.Context, csr *certv1.CertificateSigningRequest, t certv1.RequestConditionType, reason, msg string) error {
	next := csr.DeepCopy()
	now := metav1.NewTime(c.opts.Clock.Now())
	next.Status.Conditions = append(next.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now,
	})
	csrs := c.opts.Client.CertificatesV1().CertificateSigningRequests()
	var err error
	if t == certv1.CertificateApproved {
		_, err = csrs.UpdateApproval(ctx, next.Name, next, metav1.UpdateOptions{})
	} else {
		_, err = csrs.UpdateStatus(ctx, next, metav1.UpdateOptions{})
	}
	return ignoreGone(err)
}

// ignoreGone treats a deleted CSR as done; conflicts come back through the
// informer.
func ignoreGone(err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update certificate signing request: %w", err)
	}
	return nil
}
