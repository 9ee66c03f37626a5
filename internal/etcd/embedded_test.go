package etcd

import (
	"context"
	"log/slog"
	"testing"
)

func TestEmbeddedRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)

	e, err := StartEmbedded(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Client(ctx)
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "/k", "v"); err != nil {
		e.Close()
		t.Fatal(err)
	}
	c.Close()
	e.Close()

	e, err = StartEmbedded(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	ext, err := Dial(ctx, []string{e.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ext.Close() })
	resp, err := ext.Get(ctx, "/k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("after restart got %v", resp.Kvs)
	}
}
