package storage

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Reserve claims key for owner, atomically: it fails with ErrExists when
// another owner holds it and succeeds when owner already does. Allocators
// (ClusterIPs, NodePorts) use it so no value is ever handed out twice, even
// by several API servers at once.
func (s *Store) Reserve(ctx context.Context, key, owner string) error {
	k := s.prefix + key
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, owner)).
		Else(clientv3.OpGet(k)).
		Commit()
	if err != nil {
		return fmt.Errorf("etcd reserve %s: %w", key, err)
	}
	if resp.Succeeded {
		return nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 1 && string(kvs[0].Value) == owner {
		return nil
	}
	return fmt.Errorf("reserve %s: %w", key, ErrExists)
}

// Release frees key if owner holds it.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	k := s.prefix + key
	_, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(k), "=", owner)).
		Then(clientv3.OpDelete(k)).
		Commit()
	if err != nil {
		return fmt.Errorf("etcd release %s: %w", key, err)
	}
	return nil
}
