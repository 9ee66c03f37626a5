package apiservertest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/etcd"
	"github.com/capstan/capstan/internal/storage"
)

// Server is a running test API server.
type Server struct {
	API    *apiserver.Server
	Store  *storage.Store
	Config *rest.Config
	URL    string
	http   *httptest.Server
}

// DropConnections closes every client connection, as a restarting or
// failing-over server would: watches end and clients must resume.
func (s *Server) DropConnections() { s.http.CloseClientConnections() }

// Start runs an API server for the test; everything stops in t.Cleanup.
// mutate, if not nil, adjusts the configuration before the server is built.
// No admission plugins run unless mutate enables them.
func Start(t testing.TB, mutate func(*apiserver.Config)) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, err := etcd.StartEmbedded(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(e.Close)
	scheme, err := apis.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	client, err := e.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	store := storage.New(client, storage.NewProtobufCodec(scheme), "/registry")
	// Admission plugins are off unless the test asks for them (set
	// AdmissionPlugins to nil for all): most tests run no serviceaccount
	// controller, so the ServiceAccount plugin would refuse their pods.
	cfg := apiserver.Config{Store: store, Log: slog.New(slog.DiscardHandler), AdmissionPlugins: []string{}}
	if mutate != nil {
		mutate(&cfg)
	}
	api, err := apiserver.New(cfg)
	if err != nil {
		t.Fatalf("build API server: %v", err)
	}
	if err := api.Start(ctx); err != nil {
		t.Fatalf("start API server: %v", err)
	}
	h := api.Handler()
	admin := apiserver.User{Name: "test-admin", Groups: []string{"system:masters", "system:authenticated"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(apiserver.WithUser(r.Context(), admin)))
	}))
	t.Cleanup(srv.Close)
	tr := clientTransport()
	t.Cleanup(tr.CloseIdleConnections)
	return &Server{API: api, Store: store, URL: srv.URL, Config: &rest.Config{Host: srv.URL, QPS: -1, Transport: tr}, http: srv}
}

// maxIdleConnsPerHost is how many idle connections the clients of Config
// keep to the server.
const maxIdleConnsPerHost = 512

// clientTransport is the transport of every client made from a Server's
// Config. The test server speaks plain HTTP/1.1, one request in flight per
// connection, for which client-go would use http.DefaultTransport: it keeps
// only 2 idle connections per host, so concurrent clients (informers,
// controllers, 32 pod creators) dialed and closed a TCP connection for
// nearly every request. A real server is TLS with HTTP/2 and multiplexes
// one connection; this pool keeps enough connections open instead.
func clientTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2*maxIdleConnsPerHost, maxIdleConnsPerHost
	return tr
}

// Clientset returns a typed client; protobuf selects the protobuf encoding.
func (s *Server) Clientset(t testing.TB, protobuf bool) *kubernetes.Clientset {
	t.Helper()
	cfg := rest.CopyConfig(s.Config)
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	if protobuf {
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
