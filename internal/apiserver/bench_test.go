package apiserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
)

func benchPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench", "tier": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "c", Image: "registry.example/app:1.0",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
			Env:   []corev1.EnvVar{{Name: "MODE", Value: "bench"}},
		}}},
	}
}

// percentiles reports p50 and p99 of d as benchmark metrics in ms.
func percentiles(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))]) / 1e6 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// BenchmarkCreatePods creates 1,000 pods one after another through client-go
// and reports create latency percentiles.
func BenchmarkCreatePods(b *testing.B) {
	for _, proto := range []bool{false, true} {
		b.Run(map[bool]string{false: "json", true: "protobuf"}[proto], func(b *testing.B) {
			srv := apiservertest.Start(b, nil)
			pods := srv.Clientset(b, proto).CoreV1().Pods("default")
			ctx := context.Background()
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range 1000 {
					start := time.Now()
					if _, err := pods.Create(ctx, benchPod(fmt.Sprintf("p-%d-%d", i, j)), metav1.CreateOptions{}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
			}
			percentiles(b, lat)
		})
	}
}

// BenchmarkListPods lists 10,000 pods in one request.
func BenchmarkListPods(b *testing.B) {
	srv := apiservertest.Start(b, nil)
	ctx := context.Background()
	create := srv.Clientset(b, true).CoreV1().Pods("default")
	var wg sync.WaitGroup
	errs := make(chan error, 10000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 10000; i += 8 {
				if _, err := create.Create(ctx, benchPod(fmt.Sprintf("p-%05d", i)), metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	for _, proto := range []bool{false, true} {
		b.Run(map[bool]string{false: "json", true: "protobuf"}[proto], func(b *testing.B) {
			pods := srv.Clientset(b, proto).CoreV1().Pods("default")
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				l, err := pods.List(ctx, metav1.ListOptions{})
				if err != nil || len(l.Items) != 10000 {
					b.Fatalf("list: %d items, %v", len(l.Items), err)
				}
			}
		})
	}
}

// BenchmarkWatchFanout opens 100 watches and creates 1,000 configmaps; each
// watcher measures how long every event took from just before the create to
// its arrival.
func BenchmarkWatchFanout(b *testing.B) {
	watchers, events := 100, 1000
	if v, err := strconv.Atoi(os.Getenv("FANOUT_WATCHERS")); err == nil {
		watchers = v
	}
	if v, err := strconv.Atoi(os.Getenv("FANOUT_EVENTS")); err == nil {
		events = v
	}
	srv := apiservertest.Start(b, nil)
	cs := srv.Clientset(b, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("fan-%d", i)
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		lat := make([][]time.Duration, watchers)
		var wg sync.WaitGroup
		for w := range watchers {
			wi, err := cs.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: "0"})
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer wi.Stop()
				for e := range wi.ResultChan() {
					if e.Type != watch.Added {
						continue
					}
					sent, _ := strconv.ParseInt(e.Object.(*corev1.ConfigMap).Annotations["sent"], 10, 64)
					lat[w] = append(lat[w], time.Since(time.Unix(0, sent)))
					if len(lat[w]) == events {
						return
					}
				}
			}()
		}
		for j := range events {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", j),
				Annotations: map[string]string{"sent": strconv.FormatInt(time.Now().UnixNano(), 10)}}}
			if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
		var all []time.Duration
		for _, l := range lat {
			if len(l) != events {
				b.Fatalf("a watcher saw %d of %d events", len(l), events)
			}
			all = append(all, l...)
		}
		percentiles(b, all)
	}
}

// BenchmarkAuthenticatedGet measures the cost of authentication on a GET
// of one ConfigMap through the full handler chain, in process: with a
// client certificate (already verified by the TLS handshake, as on a
// kept-alive connection), a ServiceAccount token (without and with the
// 10 s cache of successful authentications), a bootstrap token, and with
// authentication bypassed by a user in the context (WithUser). Compare
// ns/op with the bypassed path for the overhead.
func BenchmarkAuthenticatedGet(b *testing.B) {
	plain, saToken, bootstrapToken := startAuthBench(b, 0)
	cached, cachedToken, _ := startAuthBench(b, serviceaccount.DefaultCacheTTL)
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: "bench", Organization: []string{"system:masters"}}}
	bearer := func(tok string) func(r *http.Request) *http.Request {
		return func(r *http.Request) *http.Request { r.Header.Set("Authorization", "Bearer "+tok); return r }
	}
	for _, tc := range []struct {
		name    string
		h       http.Handler
		prepare func(r *http.Request) *http.Request
	}{
		{"bypassed", plain, func(r *http.Request) *http.Request {
			return r.WithContext(apiserver.WithUser(r.Context(), apiserver.User{Name: "bench", Groups: []string{"system:masters", "system:authenticated"}}))
		}},
		{"client-cert", plain, func(r *http.Request) *http.Request {
			r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{cert}}}
			return r
		}},
		{"serviceaccount-token", plain, bearer(saToken)},
		{"serviceaccount-token-cached", cached, bearer(cachedToken)},
		{"bootstrap-token", plain, bearer(bootstrapToken)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, tc.prepare(httptest.NewRequest(http.MethodGet, "/api/v1/namespaces/default/configmaps/bench", nil)))
				if w.Code != http.StatusOK {
					b.Fatalf("GET: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// startAuthBench starts a server authenticating ServiceAccount tokens
// (cached for cacheTTL; 0: not cached) and returns its handler, without
// an injected user, and tokens of both kinds.
func startAuthBench(b *testing.B, cacheTTL time.Duration) (h http.Handler, saToken, bootstrapToken string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, key, nil, "https://127.0.0.1:6443/openid/v1/jwks")
	if err != nil {
		b.Fatal(err)
	}
	srv := apiservertest.Start(b, func(c *apiserver.Config) {
		objects, err := apiserver.NewStoreLookup(c.Store)
		if err != nil {
			b.Fatal(err)
		}
		c.ServiceAccountIssuer = issuer
		a := serviceaccount.NewAuthenticator(issuer, objects, nil, nil).CacheFor(cacheTTL)
		c.TokenAuthenticators = []apiserver.TokenAuthenticator{a}
	})
	saToken, bootstrapToken = authBenchFixtures(b, srv.Clientset(b, false))
	return srv.API.Handler(), saToken, bootstrapToken
}

// authBenchFixtures creates the ConfigMap, a ServiceAccount and its token
// (TokenRequest), and a bootstrap token Secret.
func authBenchFixtures(b *testing.B, cs kubernetes.Interface) (saToken, bootstrapToken string) {
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, "bench", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	bt := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-abcdef", Namespace: "kube-system"},
		Type: corev1.SecretTypeBootstrapToken, StringData: map[string]string{"token-id": "abcdef", "token-secret": "0123456789abcdef",
			"usage-bootstrap-authentication": "true", "auth-extra-groups": "system:bootstrappers:bench"}}
	if _, err := cs.CoreV1().Secrets("kube-system").Create(ctx, bt, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	return tr.Status.Token, "abcdef.0123456789abcdef"
}
