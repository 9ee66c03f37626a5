package proxy

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/knftables"
)

// TestEncoderAcceptsGoldenRulesets: every object of every golden ruleset
// encodes (the netns tests check that the kernel agrees with nft on them).
func TestEncoderAcceptsGoldenRulesets(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, in := range inputs {
		cfg, svcs, slices := loadInput(t, in)
		r := Ruleset(cfg, svcs, slices)
		enc := newEncoder("capstan-proxy")
		ops := []op{{verbAdd, &knftables.Table{}}}
		for _, c := range r.Chains {
			ops = append(ops, op{verbAdd, c}, op{verbFlush, c})
		}
		for _, s := range r.Sets {
			ops = append(ops, op{verbAdd, s})
		}
		for _, m := range r.Maps {
			ops = append(ops, op{verbAdd, m})
		}
		for _, rule := range r.Rules {
			ops = append(ops, op{verbAdd, rule})
		}
		for _, e := range r.Elements {
			ops = append(ops, op{verbAdd, e}, op{verbDelete, e})
		}
		for _, o := range ops {
			if err := enc.op(o); err != nil {
				t.Errorf("%s: %v", in, err)
			}
		}
		enc.flushElements()
		if enc.err != nil {
			t.Errorf("%s: %v", in, enc.err)
		}
	}
}

func TestCompileRule(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		exprs int    // expressions, when it compiles
		anon  int    // anonymous maps
		err   string // substring of the error, when it must not
	}{
		{rule: "ct state new jump x", exprs: 4},
		{rule: "ip saddr 10.0.0.0/8 goto x", exprs: 3},
		{rule: "ip saddr != 10.240.0.0/12 goto x", exprs: 4},
		{rule: "ip daddr . meta l4proto . th dport vmap @m", exprs: 4},
		{rule: "ip saddr . ip daddr @s jump x", exprs: 4},
		{rule: "meta l4proto tcp dnat to numgen random mod 2 map { 0 : 10.0.0.1 . 80 , 1 : 10.0.0.2 . 80 }", exprs: 5, anon: 1},
		{rule: "numgen random mod 2 vmap { 0 : goto a , 1 : goto b }", exprs: 2, anon: 1},
		{rule: "mark set mark or 0x4000", exprs: 3},
		{rule: "masquerade fully-random", exprs: 1},
		{rule: "numgen random mod 2 vmap { 0 : goto a }", err: "no entry for 1"},
		{rule: "ip saddr 10.0.0.300 drop", err: "bad IPv4"},
		{rule: "counter", err: "unsupported verdict"},
		{rule: "ip daddr . meta l4proto", err: "named sets or maps"},
		{rule: "dnat to 10.0.0.1", err: "bad dnat"},
	} {
		ids := uint32(0)
		got, err := compileRule(tc.rule, func() uint32 { ids++; return ids })
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one with %q", tc.rule, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.rule, err)
		case tc.err == "" && (len(got.exprs) != tc.exprs || len(got.anon) != tc.anon):
			t.Errorf("%q: %d expressions and %d anonymous maps, want %d and %d", tc.rule, len(got.exprs), len(got.anon), tc.exprs, tc.anon)
		}
	}
}

func TestEncodeKey(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		key  []string
		want []byte
		err  bool
	}{
		{typ: "ipv4_addr", key: []string{"10.1.2.3"}, want: []byte{10, 1, 2, 3}},
		// Parts of a concatenation are padded to 4 bytes each.
		{typ: "ipv4_addr . inet_proto . inet_service", key: []string{"172.30.0.40", "tcp", "80"},
			want: []byte{172, 30, 0, 40, 6, 0, 0, 0, 0, 80, 0, 0}},
		{typ: "inet_proto . inet_service", key: []string{"udp . 53"}, want: []byte{17, 0, 0, 0, 0, 53, 0, 0}},
		{typ: "ipv4_addr . ipv4_addr", key: []string{"10.0.0.1", "10.0.0.1"}, want: []byte{10, 0, 0, 1, 10, 0, 0, 1}},
		{typ: "inet_service", key: []string{"70000"}, err: true},
		{typ: "ipv4_addr . inet_service", key: []string{"10.0.0.1"}, err: true},
	} {
		ts, err := parseKeyType(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeKey(ts, tc.key)
		if (err != nil) != tc.err || !bytes.Equal(got, tc.want) {
			t.Errorf("%s %v: got %v, %v; want %v (error %v)", tc.typ, tc.key, got, err, tc.want, tc.err)
		}
	}
}
