package apiserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// kubeletPath maps a proxied pod subresource to the kubelet API ("" for
// subresources served here).
func kubeletPath(sub string) string {
	switch sub {
	case "log":
		return "containerLogs"
	case "exec", "attach":
		return sub
	case "portforward":
		return "portForward"
	}
	return ""
}

// newKubeletTransport returns how the server reaches kubelets: HTTP/1.1
// only, so upgraded streams can be proxied.
func newKubeletTransport(cfg *tls.Config) *http.Transport {
	return &http.Transport{
		TLSClientConfig:   cfg,
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		Proxy:             nil,
	}
}

// proxyToKubelet serves pods/log, exec, attach and portforward by asking
// the kubelet of the pod's node.
func (s *Server) proxyToKubelet(rq *request) error {
	ri := rq.ri
	want := "get"
	if ri.sub != "log" && rq.r.Method == http.MethodPost {
		want = "create"
	}
	if ri.verb != want || (ri.sub == "log" && ri.verb != "get") {
		return apierrors.NewMethodNotSupported(rq.gr(), ri.verb)
	}
	obj, err := s.store.Get(rq.ctx, rq.res.key(ri.namespace, ri.name))
	if err != nil {
		return storageError(err, rq.gr(), ri.name)
	}
	pod := obj.(*corev1.Pod)
	q := url.Values{}
	for k, v := range rq.q {
		if k != "container" && k != "pretty" {
			q[k] = v
		}
	}
	path := fmt.Sprintf("/%s/%s/%s", kubeletPath(ri.sub), pod.Namespace, pod.Name)
	if ri.sub != "portforward" {
		container, err := s.checkStreamRequest(rq, pod)
		if err != nil {
			return err
		}
		path += "/" + container
	}
	if pod.Spec.NodeName == "" {
		if ri.sub == "log" {
			// As upstream: a pod without a node has no logs yet.
			rq.w.Header().Set("Content-Type", "text/plain")
			rq.w.WriteHeader(http.StatusOK)
			return nil
		}
		return apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	host, err := s.kubeletHost(rq, pod.Spec.NodeName)
	if err != nil {
		return err
	}
	target := &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: q.Encode()}
	if s.kubelets == nil {
		return apierrors.NewServiceUnavailable("this server has no kubelet client credentials")
	}
	if ri.sub == "log" {
		return s.streamLogs(rq, target)
	}
	s.reverseProxy(target).ServeHTTP(rq.w, rq.r)
	return nil
}

// proxyNode serves nodes/{name}/proxy/{path}: any request to the node's
// kubelet API (stats, metrics, logs), as upstream.
func (s *Server) proxyNode(rq *request, path string) error {
	if s.kubelets == nil {
		return apierrors.NewServiceUnavailable("this server has no kubelet client credentials")
	}
	host, err := s.kubeletHost(rq, rq.ri.name)
	if err != nil {
		return err
	}
	if path == "" {
		path = "/"
	}
	s.reverseProxy(&url.URL{Scheme: "https", Host: host, Path: path, RawQuery: rq.r.URL.RawQuery}).ServeHTTP(rq.w, rq.r)
	return nil
}

// reverseProxy forwards a request, upgrades included, to a kubelet.
func (s *Server) reverseProxy(target *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = target.Host
		},
		Transport: s.kubelets,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.writeError(w, r, apierrors.NewServiceUnavailable(fmt.Sprintf("error dialing backend: %v", err)))
		},
	}
}

// checkStreamRequest validates the options of log, exec and attach and
// returns the container they are for, defaulted as upstream does.
func (s *Server) checkStreamRequest(rq *request, pod *corev1.Pod) (string, error) {
	var container string
	switch rq.ri.sub {
	case "log":
		opts, err := parseLogOptions(rq.q)
		if err != nil {
			return "", err
		}
		if errs := validateLogOptions(opts); len(errs) > 0 {
			return "", apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PodLogOptions").GroupKind(), pod.Name, errs)
		}
		container = opts.Container
	default:
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			return "", apierrors.NewBadRequest(fmt.Sprintf("cannot %s into a container in a completed pod; current phase is %s", rq.ri.sub, pod.Status.Phase))
		}
		if rq.ri.sub == "exec" && len(rq.q["command"]) == 0 {
			return "", apierrors.NewBadRequest("you must specify at least 1 command")
		}
		container = rq.q.Get("container")
	}
	return podContainer(pod, container)
}

// parseLogOptions reads PodLogOptions from query parameters.
func parseLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	o := &corev1.PodLogOptions{Container: q.Get("container")}
	for name, dst := range map[string]*bool{"follow": &o.Follow, "previous": &o.Previous, "timestamps": &o.Timestamps, "insecureSkipTLSVerifyBackend": &o.InsecureSkipTLSVerifyBackend} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid value %q for query parameter %s: must be true or false", v, name))
			}
			*dst = b
		}
	}
	for name, dst := range map[string]**int64{"tailLines": &o.TailLines, "limitBytes": &o.LimitBytes, "sinceSeconds": &o.SinceSeconds} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid value %q for query parameter %s: must be an integer", v, name))
			}
			*dst = &n
		}
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid value %q for query parameter sinceTime: must be RFC3339", v))
		}
		mt := metav1.NewTime(t)
		o.SinceTime = &mt
	}
	return o, nil
}

func validateLogOptions(o *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if o.TailLines != nil && *o.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *o.TailLines, "must be greater than or equal to 0"))
	}
	if o.LimitBytes != nil && *o.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *o.LimitBytes, "must be greater than 0"))
	}
	if o.SinceSeconds != nil && o.SinceTime != nil {
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	}
	if o.SinceSeconds != nil && *o.SinceSeconds < 1 {
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *o.SinceSeconds, "must be greater than 0"))
	}
	return errs
}

// podContainer checks name against the pod's containers; an empty name
// picks the only container, as upstream.
func podContainer(pod *corev1.Pod, name string) (string, error) {
	names := func(cs []corev1.Container) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Name
		}
		return out
	}
	if name == "" {
		if len(pod.Spec.Containers) == 1 {
			return pod.Spec.Containers[0].Name, nil
		}
		msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", pod.Name, names(pod.Spec.Containers))
		if len(pod.Spec.InitContainers) > 0 {
			msg += fmt.Sprintf(" or one of the init containers: %v", names(pod.Spec.InitContainers))
		}
		return "", apierrors.NewBadRequest(msg)
	}
	for _, c := range append(names(pod.Spec.InitContainers), names(pod.Spec.Containers)...) {
		if c == name {
			return name, nil
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

// kubeletHost is host:port of a node's kubelet API.
func (s *Server) kubeletHost(rq *request, nodeName string) (string, error) {
	nodes := s.byGVR[corev1.SchemeGroupVersion.WithResource("nodes")]
	obj, err := s.store.Get(rq.ctx, nodes.key("", nodeName))
	if err != nil {
		return "", storageError(err, nodes.GroupResource(), nodeName)
	}
	node := obj.(*corev1.Node)
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port == 0 {
		port = 10250
	}
	for _, t := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeHostName} {
		for _, a := range node.Status.Addresses {
			if a.Type == t && a.Address != "" {
				return net.JoinHostPort(a.Address, strconv.Itoa(port)), nil
			}
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("node %s has no address to reach its kubelet", nodeName))
}

// streamLogs copies a kubelet's container log to the client, flushing as it
// goes so followed logs arrive line by line.
func (s *Server) streamLogs(rq *request, target *url.URL) error {
	req, err := http.NewRequestWithContext(rq.ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	resp, err := s.kubelets.RoundTrip(req)
	if err != nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("error dialing backend: %v", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		msg := strings.TrimSpace(string(body))
		if resp.StatusCode == http.StatusNotFound {
			return apierrors.NewNotFound(rq.gr(), rq.ri.name)
		}
		if resp.StatusCode/100 == 4 {
			return apierrors.NewBadRequest(msg)
		}
		return apierrors.NewInternalError(errors.New(msg))
	}
	rq.w.Header().Set("Content-Type", "text/plain")
	rq.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(rq.w)
	buf := make([]byte, 32*1024)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := rq.w.Write(buf[:n]); werr != nil {
				return nil
			}
			_ = rc.Flush()
		}
		if err != nil {
			return nil
		}
	}
}
