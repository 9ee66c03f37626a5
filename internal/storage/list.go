package storage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
)

// Filter selects objects; nil selects all.
type Filter func(obj runtime.Object) bool

// ListOptions says which revision and page to read.
type ListOptions struct {
	// Revision to read at; 0 means the latest.
	Revision int64
	// Exact reads at Revision; otherwise Revision is a lower bound
	// (resourceVersionMatch=NotOlderThan) and the latest state is read.
	Exact bool
	// Limit caps the number of items returned (0: no cap).
	Limit int64
	// Continue is the token of a previous page.
	Continue string
	Filter   Filter
}

// ListResult is one page of a list.
type ListResult struct {
	Items []runtime.Object
	// Revision the list was read at.
	Revision int64
	// Continue is set when more items may follow.
	Continue string
	// Remaining counts the items after this page, when known (no filter).
	Remaining *int64
}

// continueToken is the opaque pagination state handed to clients.
type continueToken struct {
	Version  string `json:"v"`
	Revision int64  `json:"rv"`
	Start    string `json:"start"`
}

const tokenVersion = "meta.k8s.io/v1"

// encodeContinue returns the token to resume a list of prefix at key.
func encodeContinue(rev int64, prefix, key string) string {
	b, _ := json.Marshal(continueToken{Version: tokenVersion, Revision: rev, Start: strings.TrimPrefix(key, prefix)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(tok string) (continueToken, error) {
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrInvalidContinue, err)
	}
	if err := json.Unmarshal(b, &t); err != nil || t.Version != tokenVersion || t.Revision <= 0 {
		return t, fmt.Errorf("%w: malformed token", ErrInvalidContinue)
	}
	if strings.Contains(t.Start, "..") || strings.HasPrefix(t.Start, "/") {
		return t, fmt.Errorf("%w: bad start key", ErrInvalidContinue)
	}
	return t, nil
}

// List reads the objects whose keys start with prefix (which should end in
// "/"), in key order.
func (s *Store) List(ctx context.Context, prefix string, opts ListOptions) (*ListResult, error) {
	defer s.observe("list", prefix, time.Now())
	base := s.prefix + prefix
	start, end := base, clientv3.GetPrefixRangeEnd(base)
	rev := int64(0)
	if opts.Exact {
		rev = opts.Revision
	}
	if opts.Continue != "" {
		t, err := decodeContinue(opts.Continue)
		if err != nil {
			return nil, err
		}
		rev, start = t.Revision, base+t.Start
	}
	if !opts.Exact && opts.Continue == "" && opts.Revision > 0 {
		if err := s.waitForRevision(ctx, opts.Revision); err != nil {
			return nil, err
		}
	}
	res := &ListResult{}
	batch := opts.Limit
	if batch > 0 && opts.Filter != nil && batch < 500 {
		batch = 500
	}
	for {
		ops := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithRev(rev)}
		if batch > 0 {
			ops = append(ops, clientv3.WithLimit(batch))
		}
		resp, err := s.client.Get(ctx, start, ops...)
		if err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) {
				return nil, &CompactedError{Requested: rev}
			}
			if errors.Is(err, rpctypes.ErrFutureRev) {
				return nil, fmt.Errorf("%w: %d", ErrTooLargeRV, rev)
			}
			return nil, fmt.Errorf("etcd list %s: %w", prefix, err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for i, kv := range resp.Kvs {
			obj, err := s.decodeStored(ctx, string(kv.Key), kv.Value, kv.ModRevision)
			if err != nil {
				return nil, fmt.Errorf("list %s: key %s: %w", prefix, kv.Key, err)
			}
			if opts.Filter != nil && !opts.Filter(obj) {
				continue
			}
			res.Items = append(res.Items, obj)
			if opts.Limit > 0 && int64(len(res.Items)) == opts.Limit {
				more := resp.Count - int64(i) - 1
				if more > 0 {
					res.Continue = encodeContinue(rev, base, string(kv.Key)+"\x00")
					if opts.Filter == nil {
						res.Remaining = &more
					}
				}
				res.Revision = rev
				return res, nil
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	res.Revision = rev
	return res, nil
}

// revisionWait bounds how long a read waits for a revision it was asked not
// to be older than, as upstream waits for its watch cache (3 s).
const revisionWait = 3 * time.Second

// waitForRevision returns once the store has reached rev, or ErrTooLargeRV
// after revisionWait.
func (s *Store) waitForRevision(ctx context.Context, rev int64) error {
	deadline := time.Now().Add(revisionWait)
	for {
		cur, err := s.CurrentRevision(ctx)
		if err != nil {
			return err
		}
		if cur >= rev {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d, current: %d", ErrTooLargeRV, rev, cur)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
