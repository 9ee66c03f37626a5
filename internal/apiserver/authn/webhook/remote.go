package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Remote posts review objects to the service a webhook kubeconfig names,
// as upstream's webhook clients: the current context's cluster server is
// the full URL, its certificate authority and the user's credentials
// (client certificate, token) are used.
type Remote struct {
	url     string
	client  *http.Client
	timeout time.Duration
}

// LoadRemote reads a webhook kubeconfig file. Paths inside it are relative
// to the file, as with any kubeconfig. timeout bounds one call (0: 30s).
func LoadRemote(path string, timeout time.Duration) (*Remote, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("webhook config file %s: %w", path, err)
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("webhook config file %s: no server in the current context", path)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("webhook config file %s: %w", path, err)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Remote{url: cfg.Host, client: client, timeout: timeout}, nil
}

// URL is the service's address.
func (r *Remote) URL() string { return r.url }

// Post sends in as JSON and decodes the answer into out. Any transport
// failure, non-2xx status or undecodable answer is an error.
func (r *Remote) Post(ctx context.Context, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode review: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("call webhook %s: %w", r.url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read webhook %s answer: %w", r.url, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %s: %s", r.url, resp.Status, bytes.TrimSpace(data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode webhook %s answer: %w", r.url, err)
	}
	return nil
}
