package kubelet

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"
)

// builtinHooks runs lifecycle handlers: exec through CRI ExecSync, httpGet
// with a plain HTTP client, sleep on the injected clock.
type builtinHooks struct {
	runtime internalapi.RuntimeService
	clock   clock.Clock
}

var _ HookRunner = (*builtinHooks)(nil)

// Run runs handler; the error text follows the upstream hook messages.
func (h *builtinHooks) Run(ctx context.Context, pod *v1.Pod, c *v1.Container, id string, handler *v1.LifecycleHandler) error {
	switch {
	case handler.Exec != nil:
		timeout := 30 * time.Second
		if d, ok := ctx.Deadline(); ok {
			timeout = time.Until(d)
		}
		out, errOut, err := h.runtime.ExecSync(ctx, id, handler.Exec.Command, timeout)
		if err != nil {
			return fmt.Errorf("Exec lifecycle hook (%v) for Container %q in Pod %q failed - error: %v, message: %q",
				handler.Exec.Command, c.Name, formatPod(pod), err, string(out)+string(errOut))
		}
		return nil
	case handler.HTTPGet != nil:
		if err := httpHook(ctx, pod, c, handler.HTTPGet); err != nil {
			return fmt.Errorf("HTTP lifecycle hook (%s) for Container %q in Pod %q failed - error: %v",
				handler.HTTPGet.Path, c.Name, formatPod(pod), err)
		}
		return nil
	case handler.Sleep != nil:
		select {
		case <-ctx.Done():
		case <-h.clock.After(time.Duration(handler.Sleep.Seconds) * time.Second):
		}
		return nil
	}
	return fmt.Errorf("cannot run handler: unknown handler type for container %q", c.Name)
}

func httpHook(ctx context.Context, pod *v1.Pod, c *v1.Container, g *v1.HTTPGetAction) error {
	host := g.Host
	if host == "" {
		host = pod.Status.PodIP
	}
	port, err := resolvePort(g.Port, c)
	if err != nil {
		return err
	}
	scheme := strings.ToLower(string(g.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: g.Path}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	for _, hd := range g.HTTPHeaders {
		req.Header.Add(hd.Name, hd.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

// resolvePort turns a port number or container port name into a number.
func resolvePort(p intstr.IntOrString, c *v1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("couldn't find port: %v in %v", p.StrVal, c.Name)
}
