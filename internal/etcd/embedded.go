package etcd

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3rpc"
	"go.etcd.io/etcd/server/v3/proxy/grpcproxy/adapter"
	"go.uber.org/zap"
)

// Embedded is a single-member etcd running inside this process. Its client
// and peer endpoints are unix sockets in its data dir, so several instances
// on one machine never clash over ports.
type Embedded struct {
	etcd *embed.Etcd
	// Endpoint is the client URL other processes (or tests) can dial.
	Endpoint string
}

// StartEmbedded starts (or restarts over existing data) an etcd member in dir
// and waits until it serves. It stops when Close is called.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create etcd dir: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "capstan"
	cfg.Dir = dir
	clientURL := url.URL{Scheme: "unix", Path: filepath.Join(dir, "client.sock")}
	peerURL := url.URL{Scheme: "unix", Path: filepath.Join(dir, "peer.sock")}
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.Logger = "zap"
	// Capstan's storage compacts itself, as kube-apiserver does, so the same
	// code serves external clusters; etcd's own auto-compaction stays off.
	cfg.AutoCompactionMode = embed.CompactorModePeriodic
	cfg.AutoCompactionRetention = "0"
	cfg.QuotaBackendBytes = 8 << 30
	// A single member on local sockets: short raft ticks let it elect
	// itself in tens of milliseconds instead of a second.
	cfg.TickMs, cfg.ElectionMs = 10, 100
	for _, p := range []string{clientURL.Path, peerURL.Path} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd not ready after 60s")
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	log.Info("embedded etcd ready", "dir", dir)
	return &Embedded{etcd: e, Endpoint: clientURL.String()}, nil
}

// Client returns a client of the member whose key-value calls (Range,
// Txn, Put, Delete, Compact) are direct function calls into the server —
// no gRPC encoding, HTTP/2 framing or socket round trip, which was about a
// tenth of the API server's CPU under load — while watches, leases and
// maintenance go over the member's client socket. (etcd's in-process watch
// adapter is not used: with a few dozen watchers on it, event delivery
// stalls for good.) Limits still hold: the server refuses requests over
// its maximum size and writes over the backend quota.
func (e *Embedded) Client(ctx context.Context) (*clientv3.Client, error) {
	c, err := Dial(ctx, []string{e.Endpoint})
	if err != nil {
		return nil, err
	}
	c.KV = clientv3.NewKVFromKVClient(adapter.KvServerToKvClient(v3rpc.NewQuotaKVServer(e.etcd.Server)), c)
	return c, nil
}

// Err reports a fatal error of the running member.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops the member and waits until it has stopped.
func (e *Embedded) Close() { e.etcd.Close() }

// Dial opens a client to an external etcd cluster.
func Dial(ctx context.Context, endpoints []string) (*clientv3.Client, error) {
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		Context:     ctx,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("dial etcd %v: %w", endpoints, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Status(sctx, endpoints[0]); err != nil {
		c.Close()
		return nil, fmt.Errorf("etcd %s not reachable: %w", endpoints[0], err)
	}
	return c, nil
}
