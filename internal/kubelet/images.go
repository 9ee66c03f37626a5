package kubelet

import (
	"context"
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// imageResult is a usable image for a container.
type imageResult struct {
	Ref      string // image ID to create the container from
	UID      *int64 // the image's numeric user, if any
	Username string // the image's non-numeric user, if any
}

// pullPolicy is the container's policy, defaulted as the API does.
func pullPolicy(c *v1.Container) v1.PullPolicy {
	if c.ImagePullPolicy != "" {
		return c.ImagePullPolicy
	}
	img := c.Image
	if i := strings.LastIndex(img, "@"); i >= 0 {
		return v1.PullIfNotPresent
	}
	tag := ""
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		tag = img[i+1:]
	}
	if tag == "" || tag == "latest" {
		return v1.PullAlways
	}
	return v1.PullIfNotPresent
}

// ensureImage makes the container's image present per its pull policy,
// emitting the upstream events. A nil result comes with the waiting reason
// to report (ErrImagePull, ImagePullBackOff, ErrImageNeverPull).
func (k *Kubelet) ensureImage(ctx context.Context, pod *v1.Pod, c *v1.Container, sb *runtimeapi.PodSandboxConfig) (*imageResult, *waitingReason) {
	spec := &runtimeapi.ImageSpec{Image: c.Image, UserSpecifiedImage: c.Image}
	present, err := k.imageStatus(ctx, spec)
	if err != nil {
		msg := fmt.Sprintf("Failed to inspect image %q: %v", c.Image, err)
		k.event(pod, c, v1.EventTypeWarning, "InspectFailed", msg)
		return nil, &waitingReason{Reason: "ImageInspectError", Message: msg}
	}
	policy := pullPolicy(c)
	if present != nil && policy != v1.PullAlways {
		k.event(pod, c, v1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", c.Image))
		return &present.imageResult, nil
	}
	if policy == v1.PullNever {
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		k.event(pod, c, v1.EventTypeWarning, "ErrImageNeverPull", msg)
		return nil, &waitingReason{Reason: "ErrImageNeverPull", Message: msg}
	}
	key := fmt.Sprintf("%s_%s", pod.UID, c.Image)
	now := k.clock.Now()
	if k.pullBackOff.IsInBackOffSinceUpdate(key, now) {
		k.event(pod, c, v1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", c.Image))
		k.event(pod, c, v1.EventTypeWarning, "Failed", "Error: ImagePullBackOff")
		return nil, &waitingReason{Reason: "ImagePullBackOff", Message: fmt.Sprintf("Back-off pulling image %q: %s", c.Image, k.lastPullError(key))}
	}
	k.event(pod, c, v1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", c.Image))
	start := k.clock.Now()
	_, err = k.images.PullImage(ctx, spec, k.pullAuth(ctx, pod, c), sb)
	if err != nil {
		k.pullBackOff.Next(key, now)
		k.setPullError(key, err.Error())
		k.event(pod, c, v1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %v", c.Image, err))
		k.event(pod, c, v1.EventTypeWarning, "Failed", "Error: ErrImagePull")
		return nil, &waitingReason{Reason: "ErrImagePull", Message: err.Error()}
	}
	k.pullBackOff.Reset(key)
	took := k.clock.Since(start).Truncate(time.Millisecond)
	got, err := k.imageStatus(ctx, spec)
	if err != nil || got == nil {
		msg := fmt.Sprintf("Failed to inspect image %q after pull: %v", c.Image, err)
		return nil, &waitingReason{Reason: "ErrImagePull", Message: msg}
	}
	k.event(pod, c, v1.EventTypeNormal, "Pulled", fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting). Image size: %d bytes.", c.Image, took, took, got.size))
	return &got.imageResult, nil
}

// presentImage is an image the runtime has.
type presentImage struct {
	imageResult
	size uint64
}

func (k *Kubelet) imageStatus(ctx context.Context, spec *runtimeapi.ImageSpec) (*presentImage, error) {
	resp, err := k.images.ImageStatus(ctx, spec, false)
	if err != nil {
		return nil, fmt.Errorf("image status %q: %w", spec.Image, err)
	}
	img := resp.GetImage()
	if img == nil {
		return nil, nil
	}
	p := &presentImage{imageResult: imageResult{Ref: img.Id, Username: img.Username}, size: img.Size}
	if img.Uid != nil {
		uid := img.Uid.Value
		p.UID = &uid
	}
	if p.Ref == "" {
		p.Ref = spec.Image
	}
	return p, nil
}
