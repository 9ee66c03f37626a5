package namespace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
)

// deleter removes the content of a namespace through the metadata client.
type deleter struct {
	log  *slog.Logger
	meta metadata.Interface
	disc discovery.DiscoveryInterface
}

// target is one namespaced resource the deleter empties.
type target struct {
	gvr              schema.GroupVersionResource
	deleteCollection bool
}

// targets discovers the namespaced resources that can be listed and deleted,
// recording discovery and parse failures in r.
func (d *deleter) targets(r *Report) []target {
	lists, err := discovery.ServerPreferredNamespacedResources(d.disc)
	if err != nil {
		var failed *discovery.ErrGroupDiscoveryFailed
		if errors.As(err, &failed) {
			for gv, gerr := range failed.Groups {
				r.DiscoveryFailures = append(r.DiscoveryFailures, fmt.Sprintf("%s: %v", gv, gerr))
			}
		} else {
			r.DiscoveryFailures = append(r.DiscoveryFailures, err.Error())
		}
	}
	var out []target
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			r.ParseFailures = append(r.ParseFailures, fmt.Sprintf("%s: %v", list.GroupVersion, err))
			continue
		}
		for _, res := range list.APIResources {
			verbs := res.Verbs
			if strings.Contains(res.Name, "/") || !slices.Contains(verbs, "list") {
				continue
			}
			dc := slices.Contains(verbs, "deletecollection")
			if !dc && !slices.Contains(verbs, "delete") {
				continue
			}
			out = append(out, target{gvr: gv.WithResource(res.Name), deleteCollection: dc})
		}
	}
	return out
}

// sweep deletes everything in namespace and reports what remains. wait is
// the longest graceful deletion period seen on remaining objects, a hint
// for when to look again.
func (d *deleter) sweep(ctx context.Context, namespace string) (r Report, wait time.Duration) {
	r.Remaining = map[string]int{}
	r.Finalizers = map[string]int{}
	for _, t := range d.targets(&r) {
		client := d.meta.Resource(t.gvr).Namespace(namespace)
		if err := deleteAll(ctx, client, t.deleteCollection); err != nil {
			r.ContentFailures = append(r.ContentFailures, fmt.Sprintf("%s: %v", t.gvr.GroupResource(), err))
			continue
		}
		left, err := client.List(ctx, metav1.ListOptions{})
		if err != nil {
			r.ContentFailures = append(r.ContentFailures, fmt.Sprintf("%s: %v", t.gvr.GroupResource(), err))
			continue
		}
		if len(left.Items) == 0 {
			continue
		}
		r.Remaining[t.gvr.Resource+"."+t.gvr.Group] += len(left.Items)
		for _, item := range left.Items {
			for _, f := range item.Finalizers {
				r.Finalizers[f]++
			}
			if g := item.DeletionGracePeriodSeconds; g != nil {
				wait = max(wait, time.Duration(*g)*time.Second)
			}
		}
	}
	if len(r.Remaining) == 0 {
		r.Remaining = nil
	}
	if len(r.Finalizers) == 0 {
		r.Finalizers = nil
	}
	return r, wait
}

// deleteAll deletes the collection, or each item when deletecollection is
// not served, with background propagation as upstream.
func deleteAll(ctx context.Context, client metadata.ResourceInterface, collection bool) error {
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}
	if collection {
		err := client.DeleteCollection(ctx, opts, metav1.ListOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsMethodNotSupported(err) && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete collection: %w", err)
		}
	}
	list, err := client.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	for _, item := range list.Items {
		if item.DeletionTimestamp != nil {
			continue
		}
		if err := client.Delete(ctx, item.Name, opts); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s: %w", item.Name, err)
		}
	}
	return nil
}
