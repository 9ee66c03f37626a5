package proxy

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"
)

// verb is what a batch does with one object.
type verb uint8

const (
	verbAdd    verb = iota // create if missing (rules: append; elements: insert)
	verbFlush              // empty a chain, set or map
	verbDelete             // remove the object
)

// op is one operation of a batch.
type op struct {
	verb verb
	obj  knftables.Object
}

// batch is one nftables transaction under construction: operations on the
// objects of the proxy's table, applied in order and all or nothing. Objects
// carry no family or table; the tables they are run against supply both.
// The method set mirrors knftables.Transaction so that the code that builds
// transactions does not care which backend runs them.
type batch struct {
	ops []op
}

func (b *batch) Add(o knftables.Object)    { b.ops = append(b.ops, op{verbAdd, o}) }
func (b *batch) Flush(o knftables.Object)  { b.ops = append(b.ops, op{verbFlush, o}) }
func (b *batch) Delete(o knftables.Object) { b.ops = append(b.ops, op{verbDelete, o}) }

// NumOperations is the number of operations added so far.
func (b *batch) NumOperations() int { return len(b.ops) }

// tables is the nftables table the proxy owns, as the syncer sees it. An
// implementation is bound to one family (ip) and one table name.
type tables interface {
	// run applies b in one atomic transaction: every operation or none.
	// b is only read.
	run(ctx context.Context, b *batch) error
	// list returns the names of the chains, sets and maps the table holds;
	// a table that does not exist yet lists as empty, not as an error.
	list(ctx context.Context) (chains, sets, maps []string, err error)
	// deleteTable removes the table; one that is already gone is not an
	// error.
	deleteTable(ctx context.Context) error
}

// knftablesTables runs batches through a knftables.Interface: the nft
// binary, or knftables' in-memory fake in tests.
type knftablesTables struct {
	nft knftables.Interface
}

var _ tables = knftablesTables{}

func (k knftablesTables) run(ctx context.Context, b *batch) error {
	tx := k.nft.NewTransaction()
	for _, o := range b.ops {
		switch o.verb {
		case verbAdd:
			tx.Add(o.obj)
		case verbFlush:
			tx.Flush(o.obj)
		case verbDelete:
			tx.Delete(o.obj)
		}
	}
	return k.nft.Run(ctx, tx)
}

func (k knftablesTables) list(ctx context.Context) (chains, sets, maps []string, err error) {
	// One listing: each one prints the whole table, which is slow for big
	// tables.
	existing, err := k.nft.ListAll(ctx)
	if err != nil && !knftables.IsNotFound(err) {
		return nil, nil, nil, fmt.Errorf("list nftables table: %w", err)
	}
	return existing["chain"], existing["set"], existing["map"], nil
}

func (k knftablesTables) deleteTable(ctx context.Context) error {
	tx := k.nft.NewTransaction()
	tx.Delete(&knftables.Table{})
	if err := k.nft.Run(ctx, tx); err != nil && !knftables.IsNotFound(err) {
		return fmt.Errorf("delete nftables table: %w", err)
	}
	return nil
}

// String lists the operations, one a line, for test failures and logs.
func (b *batch) String() string {
	var s strings.Builder
	for _, o := range b.ops {
		fmt.Fprintf(&s, "%s %T %+v\n", [...]string{"add", "flush", "delete"}[o.verb], o.obj, o.obj)
	}
	return s.String()
}
