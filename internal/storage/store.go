package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
)

// Codec encodes and decodes stored values. Encoded objects carry their
// apiVersion and kind, so Decode returns the right Go type.
type Codec interface {
	Encode(obj runtime.Object) ([]byte, error)
	Decode(data []byte) (runtime.Object, error)
}

// protobufCodec is the storage encoding: the Kubernetes protobuf envelope.
type protobufCodec struct {
	s      *protobuf.Serializer
	scheme *runtime.Scheme
}

// NewProtobufCodec returns the codec for objects registered in scheme.
func NewProtobufCodec(scheme *runtime.Scheme) Codec {
	return protobufCodec{s: protobuf.NewSerializer(scheme, scheme), scheme: scheme}
}

// Encode writes obj with its registered apiVersion and kind, whatever its
// TypeMeta says.
func (c protobufCodec) Encode(obj runtime.Object) ([]byte, error) {
	gvks, _, err := c.scheme.ObjectKinds(obj)
	if err != nil {
		return nil, err
	}
	obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	return runtime.Encode(c.s, obj)
}

// Decode reads an object and sets its apiVersion and kind, so that readers
// sharing it (the watch cache's watchers) never need to.
func (c protobufCodec) Decode(data []byte) (runtime.Object, error) {
	obj, gvk, err := c.s.Decode(data, nil, nil)
	if err == nil && gvk != nil {
		obj.GetObjectKind().SetGroupVersionKind(*gvk)
	}
	return obj, err
}

// Store keeps objects in etcd under prefix.
type Store struct {
	client  *clientv3.Client
	codec   Codec
	prefix  string
	metrics *Metrics
	// transformer, if set, sits between the codec and etcd (encryption).
	transformer Transformer
}

// New returns a Store over client. Every key passed to its methods is
// relative to prefix (e.g. "/registry").
func New(client *clientv3.Client, codec Codec, prefix string, opts ...Option) *Store {
	s := &Store{client: client, codec: codec, prefix: prefix}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Create stores obj at key if the key is empty. obj's resourceVersion must be
// unset. It returns obj itself with its new resourceVersion.
func (s *Store) Create(ctx context.Context, key string, obj runtime.Object) (runtime.Object, error) {
	defer s.observe("create", key, time.Now())
	data, err := s.encode(obj)
	if err != nil {
		return nil, err
	}
	k := s.prefix + key
	value, err := s.seal(ctx, k, data)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(value))).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("etcd create %s: %w", key, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("create %s: %w", key, ErrExists)
	}
	// obj is what was stored (the encoding loses nothing a client can
	// see), so it comes back without a decode of the bytes just written.
	return obj, setRV(obj, resp.Header.Revision)
}

// Get returns the object at key (at the latest revision).
func (s *Store) Get(ctx context.Context, key string) (runtime.Object, error) {
	defer s.observe("get", key, time.Now())
	resp, err := s.client.Get(ctx, s.prefix+key)
	if err != nil {
		return nil, fmt.Errorf("etcd get %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	return s.decodeStored(ctx, s.prefix+key, resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// UpdateFunc computes the new object from the current one. It must not
// modify cur. Returning an error aborts the update with that error;
// returning del deletes the key instead of writing next.
type UpdateFunc func(cur runtime.Object) (next runtime.Object, del bool, err error)

// GuaranteedUpdate reads key, applies tryUpdate and writes (or deletes) the
// result if the key did not change meanwhile, retrying on races; it returns
// the object written (next itself, with its new resourceVersion). If the new
// object equals the current one byte for byte, nothing is written and the
// current object is returned (as upstream: no-op updates keep the
// resourceVersion), unless the stored value is stale (written with an older
// encryption key or provider): then it is rewritten, which is how a replace
// of every object rotates keys.
//
// cached, if not nil, is a recent copy of the object (from a watch cache):
// the first attempt starts from it instead of reading etcd. It is passed to
// tryUpdate as cur (a copy), and it is never returned: if
// the write conflicts, tryUpdate fails or the update turns out a no-op, the
// attempt is repeated from etcd's current value, as upstream does with its
// cache's suggestion.
func (s *Store) GuaranteedUpdate(ctx context.Context, key string, cached runtime.Object, tryUpdate UpdateFunc) (runtime.Object, error) {
	defer s.observe("update", key, time.Now())
	k := s.prefix + key
	var st *currentState
	if cached != nil {
		var err error
		if st, err = s.cachedState(cached); err != nil {
			return nil, err
		}
	}
	for {
		if st == nil {
			resp, err := s.client.Get(ctx, k)
			if err != nil {
				return nil, fmt.Errorf("etcd get %s: %w", key, err)
			}
			if st, err = s.storedState(ctx, k, resp.Kvs); err != nil {
				return nil, fmt.Errorf("update %s: %w", key, err)
			}
		}
		next, del, err := tryUpdate(st.obj)
		if err != nil {
			if st.cached {
				st = nil // it may have failed on stale data: retry from etcd
				continue
			}
			return nil, err
		}
		data, err := s.encode(next)
		if err != nil {
			return nil, err
		}
		if !del && !st.stale && string(data) == string(st.plain) {
			if st.cached {
				st = nil // a no-op only if the cache was current: ask etcd
				continue
			}
			return st.obj, nil
		}
		op := clientv3.OpDelete(k)
		if !del {
			value, err := s.seal(ctx, k, data)
			if err != nil {
				return nil, err
			}
			op = clientv3.OpPut(k, string(value))
		}
		// On a conflict the same round trip reads the current value.
		tresp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(k), "=", st.rev)).
			Then(op).
			Else(clientv3.OpGet(k)).
			Commit()
		if err != nil {
			return nil, fmt.Errorf("etcd update %s: %w", key, err)
		}
		if tresp.Succeeded {
			return next, setRV(next, tresp.Header.Revision)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if st, err = s.storedState(ctx, k, tresp.Responses[0].GetResponseRange().Kvs); err != nil {
			return nil, fmt.Errorf("update %s: %w", key, err)
		}
	}
}

// currentState is what GuaranteedUpdate believes is stored: the object,
// its encoding and its revision.
type currentState struct {
	obj   runtime.Object
	plain []byte // the encoding (before any transformer)
	rev   int64
	stale bool // stored with an old key or provider: rewrite even if unchanged
	// cached: taken from a watch cache, not read from etcd just now.
	cached bool
}

// storedState decodes the value read from etcd at the full key k; kvs is
// empty if the key does not exist.
func (s *Store) storedState(ctx context.Context, k string, kvs []*mvccpb.KeyValue) (*currentState, error) {
	if len(kvs) == 0 {
		return nil, ErrNotFound
	}
	plain, stale, err := s.unseal(ctx, k, kvs[0].Value)
	if err != nil {
		return nil, err
	}
	obj, err := s.decode(plain, kvs[0].ModRevision)
	if err != nil {
		return nil, err
	}
	return &currentState{obj: obj, plain: plain, rev: kvs[0].ModRevision, stale: stale}, nil
}

// cachedState is the state of a copy of a cached (shared) object, its
// revision taken from its resourceVersion.
func (s *Store) cachedState(cached runtime.Object) (*currentState, error) {
	obj := cached.DeepCopyObject()
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("cached object: %w", err)
	}
	rev, err := strconv.ParseInt(m.GetResourceVersion(), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("cached object's resourceVersion %q: %w", m.GetResourceVersion(), err)
	}
	plain, err := s.encode(obj)
	if err != nil {
		return nil, err
	}
	return &currentState{obj: obj, plain: plain, rev: rev, cached: true}, nil
}

// CurrentRevision returns etcd's current revision.
func (s *Store) CurrentRevision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.prefix+"/", clientv3.WithCountOnly(), clientv3.WithLimit(1))
	if err != nil {
		return 0, fmt.Errorf("etcd revision: %w", err)
	}
	return resp.Header.Revision, nil
}

// Compact discards history older than rev.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	_, err := s.client.Compact(ctx, rev, clientv3.WithCompactPhysical())
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("etcd compact %d: %w", rev, err)
	}
	return err
}

func (s *Store) encode(obj runtime.Object) ([]byte, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	rv := m.GetResourceVersion()
	m.SetResourceVersion("")
	data, err := s.codec.Encode(obj)
	m.SetResourceVersion(rv)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", obj, err)
	}
	return data, nil
}

func (s *Store) decode(data []byte, rev int64) (runtime.Object, error) {
	obj, err := s.codec.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode stored object: %w", err)
	}
	return obj, setRV(obj, rev)
}

func setRV(obj runtime.Object, rev int64) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	m.SetResourceVersion(strconv.FormatInt(rev, 10))
	return nil
}
