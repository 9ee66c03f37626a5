package proxy

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"
)

// TestNetlinkMatchesNFT applies every golden ruleset twice in a fresh
// network namespace, once through the nft binary (knftables) and once
// through the netlink encoder, each into its own table: nft must list both
// tables identically (same chains, rules, sets, maps, elements, comments),
// so the encoder produces what nft would.
func TestNetlinkMatchesNFT(t *testing.T) {
	nsName, ns := testNetns(t, "10.99.0.2/24", "172.30.0.0/16")
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	const viaNFT, viaNetlink = "capstan-proxy-nft", "capstan-proxy-nl"
	var bin tables
	if err := inNetns(ns, func() error {
		k, err := knftables.New(knftables.IPv4Family, viaNFT)
		bin = knftablesTables{k}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	nl := newNetlinkTables(viaNetlink)
	t.Cleanup(func() { _ = nl.close() })
	ctx := context.Background()
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			cfg, svcs, slices := loadInput(t, in)
			r := Ruleset(cfg, svcs, slices)
			if err := inNetns(ns, func() error {
				if err := apply(ctx, bin, r); err != nil {
					return err
				}
				return apply(ctx, nl, r)
			}); err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(listTable(t, nsName, viaNFT), viaNFT, "TABLE")
			got := strings.ReplaceAll(listTable(t, nsName, viaNetlink), viaNetlink, "TABLE")
			if got != want {
				t.Errorf("netlink table lists as\n%s\nnft table as\n%s", got, want)
			}
			// The same for the bytecode itself, which the listing above
			// summarises; rule handles and the order of anonymous map
			// elements may differ.
			want = bytecode(listTable(t, nsName, viaNFT, "--debug=netlink"), viaNFT)
			got = bytecode(listTable(t, nsName, viaNetlink, "--debug=netlink"), viaNetlink)
			if got != want {
				t.Errorf("netlink table bytecode (sorted lines)\n%s\nnft table bytecode\n%s", got, want)
			}
		})
	}
	for _, tb := range []tables{bin, nl} {
		if err := inNetns(ns, func() error { return tb.deleteTable(ctx) }); err != nil {
			t.Error(err)
		}
	}
	if out, err := exec.Command("ip", "netns", "exec", nsName, "nft", "list", "tables").CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("tables left: %s %v", out, err)
	}
}

// ruleHeader is the line nft --debug=netlink prints before a rule's
// expressions: family, table, chain, handle, [position].
var ruleHeader = regexp.MustCompile(`^(ip TABLE \S+)( \d+)+$`)

// bytecode normalises a --debug=netlink listing of table for comparison:
// table name and rule handles removed, lines sorted.
func bytecode(listing, table string) string {
	lines := strings.Split(strings.ReplaceAll(listing, table, "TABLE"), "\n")
	for i, l := range lines {
		lines[i] = ruleHeader.ReplaceAllString(strings.TrimSpace(l), "$1")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
