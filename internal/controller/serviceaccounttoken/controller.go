package serviceaccounttoken

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Generator signs the legacy token Secret namespace/secret holds for the
// account namespace/account with UID accountUID (the API server's
// ServiceAccount issuer is one). It must be safe for concurrent use.
type Generator interface {
	LegacyToken(namespace, account, accountUID, secret string) (string, error)
}

// Options configures a Controller.
type Options struct {
	Log             *slog.Logger
	Client          kubernetes.Interface
	ServiceAccounts coreinformers.ServiceAccountInformer
	Secrets         coreinformers.SecretInformer
	Tokens          Generator
	// RootCA is the PEM bundle written as ca.crt; empty leaves ca.crt
	// alone.
	RootCA []byte
}

// Controller fills and cleans up legacy ServiceAccount token Secrets.
type Controller struct {
	log      *slog.Logger
	client   kubernetes.Interface
	accounts corelisters.ServiceAccountLister
	secrets  corelisters.SecretLister
	tokens   Generator
	rootCA   []byte
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[cache.ObjectName]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.ServiceAccounts == nil || o.Secrets == nil || o.Tokens == nil {
		return nil, errors.New("serviceaccount token controller: client, informers and token generator are required")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		log: log, client: o.Client, tokens: o.Tokens, rootCA: o.RootCA,
		accounts: o.ServiceAccounts.Lister(), secrets: o.Secrets.Lister(),
		synced: []cache.InformerSynced{o.ServiceAccounts.Informer().HasSynced, o.Secrets.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](5*time.Millisecond, 5*time.Minute),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "serviceaccount_tokens_secret"}),
	}
	enqueueSecret := func(obj any) {
		if s, ok := obj.(*corev1.Secret); ok && s.Type == corev1.SecretTypeServiceAccountToken {
			c.queue.Add(cache.NewObjectName(s.Namespace, s.Name))
		}
	}
	if _, err := o.Secrets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueueSecret,
		UpdateFunc: func(_, obj any) { enqueueSecret(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch secrets: %w", err)
	}
	if _, err := o.ServiceAccounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueTokensOf,
		UpdateFunc: func(_, obj any) { c.enqueueTokensOf(obj) },
		DeleteFunc: c.enqueueTokensOf,
	}); err != nil {
		return nil, fmt.Errorf("watch serviceaccounts: %w", err)
	}
	return c, nil
}

// enqueueTokensOf queues the token Secrets naming an account that came,
// changed or went.
func (c *Controller) enqueueTokensOf(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	sa, ok := obj.(*corev1.ServiceAccount)
	if !ok {
		return
	}
	secrets, err := c.secrets.Secrets(sa.Namespace).List(labels.Everything())
	if err != nil {
		c.log.Warn("list token secrets", "namespace", sa.Namespace, "err", err)
		return
	}
	for _, s := range secrets {
		if s.Type == corev1.SecretTypeServiceAccountToken && s.Annotations[corev1.ServiceAccountNameKey] == sa.Name {
			c.queue.Add(cache.NewObjectName(s.Namespace, s.Name))
		}
	}
}

// Run processes Secrets with workers goroutines until ctx ends. The
// informers must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

// sync converges one token Secret.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	secret, err := c.secrets.Secrets(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get secret %s: %w", key, err)
	}
	if secret.Type != corev1.SecretTypeServiceAccountToken || secret.Annotations[corev1.ServiceAccountNameKey] == "" {
		return nil
	}
	sa, err := c.account(ctx, secret)
	if err != nil {
		return err
	}
	switch Plan(secret, sa, c.rootCA) {
	case Delete:
		return c.delete(ctx, secret)
	case Complete:
		return c.fill(ctx, secret, sa)
	}
	return nil
}

// account returns the account secret names, if it exists with the UID the
// Secret names (when it names one). A cache miss is checked against the
// API so a Secret created right after its account is not deleted.
func (c *Controller) account(ctx context.Context, secret *corev1.Secret) (*corev1.ServiceAccount, error) {
	name, uid := secret.Annotations[corev1.ServiceAccountNameKey], secret.Annotations[corev1.ServiceAccountUIDKey]
	matches := func(sa *corev1.ServiceAccount) bool { return uid == "" || string(sa.UID) == uid }
	sa, err := c.accounts.ServiceAccounts(secret.Namespace).Get(name)
	if err == nil && matches(sa) {
		return sa, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("get serviceaccount %s/%s: %w", secret.Namespace, name, err)
	}
	sa, err = c.client.CoreV1().ServiceAccounts(secret.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get serviceaccount %s/%s: %w", secret.Namespace, name, err)
	case !matches(sa):
		return nil, nil
	}
	return sa, nil
}

// delete removes a token Secret whose account is gone (only the very
// object read, by UID precondition).
func (c *Controller) delete(ctx context.Context, secret *corev1.Secret) error {
	c.log.Info("deleting token secret of a missing service account", "secret", secret.Namespace+"/"+secret.Name,
		"serviceAccount", secret.Annotations[corev1.ServiceAccountNameKey])
	err := c.client.CoreV1().Secrets(secret.Namespace).Delete(ctx, secret.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &secret.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete token secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	return nil
}

// fill writes the token, CA and namespace into the Secret; a conflict
// (the Secret changed meanwhile) is retried from the newer copy.
func (c *Controller) fill(ctx context.Context, secret *corev1.Secret, sa *corev1.ServiceAccount) error {
	next, err := Fill(secret, sa, c.rootCA, func() (string, error) {
		return c.tokens.LegacyToken(secret.Namespace, sa.Name, string(sa.UID), secret.Name)
	})
	if err != nil {
		return fmt.Errorf("token for secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	if _, err := c.client.CoreV1().Secrets(secret.Namespace).Update(ctx, next, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("update token secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	return nil
}
