package proxy

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/knftables"
)

// The rule compiler turns the text of a rule, in the part of nft's language
// that Ruleset writes, into the expressions nft itself would generate for it
// (the bytecode `nft --debug=netlink` prints), so that `nft list` shows a
// rule added here exactly as one added through nft. The grammar it accepts,
// one item after another:
//
//	ct state new
//	ip saddr|daddr [!=] ADDR | CIDR | @SET
//	SELECTOR [. SELECTOR …] vmap @MAP      SELECTOR: ip saddr|daddr, meta l4proto, th dport
//	ip daddr @SET  (lookup, then further items)
//	tcp|udp|sctp dport PORT
//	meta l4proto PROTO
//	fib saddr|daddr type local
//	mark and MASK == VALUE
//	mark set mark or|xor VALUE
//	numgen random mod N vmap { 0 : VERDICT , 1 : VERDICT … }
//	ct status dnat
//	ip saddr . ip daddr @SET
//	dnat to numgen random mod N map { 0 : ADDR . PORT , … }
//	update @SET { ip saddr }
//	dnat to ADDR:PORT
//	masquerade [fully-random]
//	reject
//	jump|goto CHAIN, return, drop, accept
//
// Anything else is an error: a rule this cannot express is a bug to fix
// here, found by the tests that compile every golden ruleset.

// compiledRule is a rule's expressions and the anonymous maps they use,
// which must be created in the same batch before the rule.
type compiledRule struct {
	exprs []expr.Any
	anon  []anonMap
}

// anonMap is a constant anonymous map keyed by integers 0..n-1 (the numgen
// dispatch): to verdicts, or (dnat) to address . port values.
type anonMap struct {
	id       uint32
	verdicts []string // verdict map
	values   [][]byte // data map: address . port, 8 bytes each
}

type ruleParser struct {
	toks   []string
	pos    int
	out    compiledRule
	nextID func() uint32
}

func compileRule(text string, nextID func() uint32) (compiledRule, error) {
	p := &ruleParser{toks: strings.Fields(text), nextID: nextID}
	for p.pos < len(p.toks) {
		if err := p.item(); err != nil {
			return compiledRule{}, fmt.Errorf("rule %q: %w", text, err)
		}
	}
	return p.out, nil
}

func (p *ruleParser) peek(n int) string {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return ""
}

// take consumes the next tokens if they equal words.
func (p *ruleParser) take(words ...string) bool {
	for i, w := range words {
		if p.peek(i) != w {
			return false
		}
	}
	p.pos += len(words)
	return true
}

func (p *ruleParser) next() string {
	t := p.peek(0)
	p.pos++
	return t
}

func (p *ruleParser) emit(e ...expr.Any) { p.out.exprs = append(p.out.exprs, e...) }

func (p *ruleParser) item() error {
	switch {
	case p.take("ct", "state", "new"):
		p.emit(&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: native32(0x8), Xor: native32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: native32(0)})
	case p.take("ct", "status", "dnat"):
		p.emit(&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: native32(ipsDstNAT), Xor: native32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: native32(0)})
	case p.peek(0) == "ip" || p.peek(0) == "th" || (p.peek(0) == "meta" && p.peek(2) == "."):
		return p.selectorItem()
	case p.take("meta", "l4proto"):
		return p.l4proto()
	case p.peek(1) == "dport" && (p.peek(0) == "tcp" || p.peek(0) == "udp" || p.peek(0) == "sctp"):
		proto := p.next()
		p.next()
		port, err := strconv.ParseUint(p.next(), 10, 16)
		if err != nil {
			return fmt.Errorf("bad port: %w", err)
		}
		pn, _ := protoNumber(proto)
		p.emit(&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{pn}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, uint16(port))})
	case p.take("fib"):
		return p.fib()
	case p.take("mark"):
		return p.mark()
	case p.take("numgen", "random", "mod"):
		return p.numgen()
	case p.take("update"):
		return p.update()
	case p.take("dnat", "to"):
		return p.dnat()
	case p.take("masquerade"):
		p.emit(&expr.Masq{FullyRandom: p.take("fully-random")})
	case p.take("reject"):
		p.emit(&expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: icmpPortUnreachable})
	default:
		return p.verdict()
	}
	return nil
}

func (p *ruleParser) verdict() error {
	words := []string{p.next()}
	if words[0] == "jump" || words[0] == "goto" {
		words = append(words, p.next())
	}
	code, chain, err := parseVerdict(words)
	if err != nil {
		return err
	}
	p.emit(&expr.Verdict{Kind: expr.VerdictKind(code), Chain: chain})
	return nil
}

// selector is a packet field a rule loads into a register.
type selector struct {
	name string // "ip saddr", "ip daddr", "meta l4proto", "th dport"
	load func(reg uint32, length uint32) expr.Any
	size uint32
}

func (p *ruleParser) selector() (selector, error) {
	switch {
	case p.take("ip", "saddr"):
		return selector{"ip saddr", networkField(12), 4}, nil
	case p.take("ip", "daddr"):
		return selector{"ip daddr", networkField(16), 4}, nil
	case p.take("meta", "l4proto"):
		return selector{"meta l4proto", func(reg, _ uint32) expr.Any {
			return &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg}
		}, 1}, nil
	case p.take("th", "dport"):
		return selector{"th dport", func(reg, length uint32) expr.Any {
			return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: length}
		}, 2}, nil
	}
	return selector{}, fmt.Errorf("unexpected %q", p.peek(0))
}

// concatReg is the register of part i of a concatenation: parts fill 32-bit
// registers from NFT_REG32_00, which is register 1 seen as a whole.
func concatReg(i int) uint32 {
	if i == 0 {
		return 1
	}
	return unix.NFT_REG32_00 + uint32(i)
}

func networkField(offset uint32) func(reg, length uint32) expr.Any {
	return func(reg, length uint32) expr.Any {
		return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: length}
	}
}

// selectorItem handles a field or a concatenation of fields and what is
// done with it: compared, looked up in a set, or dispatched through a
// verdict map.
func (p *ruleParser) selectorItem() error {
	first, err := p.selector()
	if err != nil {
		return err
	}
	sels := []selector{first}
	for p.take(".") {
		s, err := p.selector()
		if err != nil {
			return err
		}
		sels = append(sels, s)
	}
	if len(sels) > 1 || p.peek(0) == "vmap" {
		vmap := p.take("vmap")
		name, ok := strings.CutPrefix(p.next(), "@")
		if !ok {
			return fmt.Errorf("concatenations are looked up in named sets or maps")
		}
		for i, s := range sels {
			p.emit(s.load(concatReg(i), s.size))
		}
		p.emit(&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: vmap, SetName: name})
		return nil
	}
	invert := p.take("!=")
	value := p.next()
	if name, ok := strings.CutPrefix(value, "@"); ok {
		p.emit(first.load(1, first.size), &expr.Lookup{SourceRegister: 1, SetName: name, Invert: invert})
		return nil
	}
	op := expr.CmpOpEq
	if invert {
		op = expr.CmpOpNeq
	}
	switch first.name {
	case "ip saddr", "ip daddr":
		return p.address(first, op, value)
	case "meta l4proto":
		pn, ok := protoNumber(value)
		if !ok {
			return fmt.Errorf("bad protocol %q", value)
		}
		p.emit(first.load(1, 1), &expr.Cmp{Op: op, Register: 1, Data: []byte{pn}})
		return nil
	}
	return fmt.Errorf("cannot compare %s", first.name)
}

// address compares an IPv4 field with an address or a prefix the way nft
// does: whole bytes of a byte-aligned prefix are loaded and compared,
// other prefixes are masked.
func (p *ruleParser) address(s selector, op expr.CmpOp, value string) error {
	ones := 32
	ip := net.ParseIP(value).To4()
	if strings.Contains(value, "/") {
		_, cidr, err := net.ParseCIDR(value)
		if err != nil || cidr.IP.To4() == nil {
			return fmt.Errorf("bad IPv4 prefix %q", value)
		}
		ip = cidr.IP.To4()
		ones, _ = cidr.Mask.Size()
	}
	if ip == nil {
		return fmt.Errorf("bad IPv4 address %q", value)
	}
	if ones%8 == 0 {
		n := uint32(ones / 8)
		p.emit(s.load(1, n), &expr.Cmp{Op: op, Register: 1, Data: []byte(ip[:n])})
		return nil
	}
	mask := net.CIDRMask(ones, 32)
	p.emit(s.load(1, 4),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: op, Register: 1, Data: []byte(ip.Mask(mask))})
	return nil
}

func (p *ruleParser) l4proto() error {
	pn, ok := protoNumber(p.next())
	if !ok {
		return fmt.Errorf("bad protocol")
	}
	p.emit(&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{pn}})
	return nil
}

func (p *ruleParser) fib() error {
	f := &expr.Fib{Register: 1, ResultADDRTYPE: true}
	switch p.next() {
	case "saddr":
		f.FlagSADDR = true
	case "daddr":
		f.FlagDADDR = true
	default:
		return fmt.Errorf("unsupported fib lookup")
	}
	if !p.take("type", "local") {
		return fmt.Errorf("unsupported fib result")
	}
	p.emit(f, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: native32(unix.RTN_LOCAL)})
	return nil
}

// mark handles "mark and M == V" and "mark set mark or|xor V".
func (p *ruleParser) mark() error {
	load := &expr.Meta{Key: expr.MetaKeyMARK, Register: 1}
	if p.take("and") {
		m, err1 := parseU32(p.next())
		eq := p.next()
		v, err2 := parseU32(p.next())
		if err1 != nil || err2 != nil || eq != "==" {
			return fmt.Errorf("bad mark match")
		}
		p.emit(load,
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: native32(m), Xor: native32(0)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: native32(v)})
		return nil
	}
	if !p.take("set", "mark") {
		return fmt.Errorf("bad mark statement")
	}
	how := p.next()
	v, err := parseU32(p.next())
	if err != nil {
		return fmt.Errorf("bad mark value: %w", err)
	}
	var mask uint32
	switch how {
	case "or":
		mask = ^v
	case "xor":
		mask = 0xffffffff
	default:
		return fmt.Errorf("unsupported mark operation %q", how)
	}
	p.emit(load,
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: native32(mask), Xor: native32(v)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1})
	return nil
}

func (p *ruleParser) numgen() error {
	m, err := p.numgenMap(true)
	if err != nil {
		return err
	}
	p.emit(&expr.Lookup{SourceRegister: 1, DestRegister: 0, IsDestRegSet: true, SetName: anonMapName, SetID: m.id})
	return nil
}

// numgenMap reads "N vmap { … }" (verdicts) or "N map { … }" (address .
// port values) after "numgen random mod", emits the numgen expression and
// records the anonymous map.
func (p *ruleParser) numgenMap(verdicts bool) (anonMap, error) {
	n, err := strconv.ParseUint(p.next(), 10, 32)
	if err != nil || n == 0 || n > 1<<16 {
		return anonMap{}, fmt.Errorf("bad numgen modulus")
	}
	kind := "map"
	if verdicts {
		kind = "vmap"
	}
	if !p.take(kind, "{") {
		return anonMap{}, fmt.Errorf("numgen needs an inline %s", kind)
	}
	m := anonMap{id: p.nextID()}
	entries := make([][]string, n)
	for i := 0; !p.take("}"); i++ {
		if i > 0 && !p.take(",") {
			return anonMap{}, fmt.Errorf("expected , in %s", kind)
		}
		k, err := strconv.ParseUint(p.next(), 10, 32)
		if err != nil || k >= n || !p.take(":") {
			return anonMap{}, fmt.Errorf("bad %s key", kind)
		}
		for p.pos < len(p.toks) && p.peek(0) != "," && p.peek(0) != "}" {
			entries[k] = append(entries[k], p.next())
		}
		if p.pos >= len(p.toks) {
			return anonMap{}, fmt.Errorf("unterminated %s", kind)
		}
	}
	for k, words := range entries {
		switch {
		case len(words) == 0:
			return anonMap{}, fmt.Errorf("%s has no entry for %d", kind, k)
		case verdicts:
			m.verdicts = append(m.verdicts, strings.Join(words, " "))
		default:
			v, err := addressPort(words)
			if err != nil {
				return anonMap{}, err
			}
			m.values = append(m.values, v)
		}
	}
	p.out.anon = append(p.out.anon, m)
	p.emit(&expr.Numgen{Register: 1, Modulus: uint32(n), Type: unix.NFT_NG_RANDOM})
	return m, nil
}

// addressPort encodes "ADDR . PORT" as a concatenation: 4 bytes of address,
// 2 of port, 2 of padding.
func addressPort(words []string) ([]byte, error) {
	if len(words) != 3 || words[1] != "." {
		return nil, fmt.Errorf("bad map value %q", strings.Join(words, " "))
	}
	ip := net.ParseIP(words[0]).To4()
	port, err := strconv.ParseUint(words[2], 10, 16)
	if ip == nil || err != nil {
		return nil, fmt.Errorf("bad map value %q", strings.Join(words, " "))
	}
	return append(binary.BigEndian.AppendUint16([]byte(ip), uint16(port)), 0, 0), nil
}

// ipsDstNAT is IPS_DST_NAT of the conntrack status bits ("ct status dnat").
const ipsDstNAT = 0x20

// icmpPortUnreachable is the ICMP code plain "reject" answers with.
const icmpPortUnreachable = 3

// anonMapName is the name template the kernel completes for anonymous maps.
const anonMapName = "__map%d"

func (p *ruleParser) update() error {
	name, ok := strings.CutPrefix(p.next(), "@")
	if !ok || !p.take("{", "ip", "saddr", "}") {
		return fmt.Errorf("unsupported update statement")
	}
	p.emit(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Dynset{SrcRegKey: 1, SetName: name, Operation: unix.NFT_DYNSET_OP_UPDATE})
	return nil
}

func (p *ruleParser) dnat() error {
	if p.take("numgen", "random", "mod") {
		m, err := p.numgenMap(false)
		if err != nil {
			return err
		}
		p.emit(&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: anonMapName, SetID: m.id},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: concatReg(1)})
		return nil
	}
	host, port, err := net.SplitHostPort(p.next())
	ip := net.ParseIP(host).To4()
	n, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || ip == nil || perr != nil {
		return fmt.Errorf("bad dnat target")
	}
	p.emit(&expr.Immediate{Register: 1, Data: []byte(ip)},
		&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, uint16(n))},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true})
	return nil
}

func native32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func parseU32(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 0, 32)
	return uint32(v), err
}

// addRule encodes a rule: its anonymous maps (set, then elements), then the
// rule itself, appended to its chain.
func (e *encoder) addRule(r *knftables.Rule) error {
	c, err := compileRule(r.Rule, func() uint32 { e.setID++; return e.setID })
	if err != nil {
		return err
	}
	for _, m := range c.anon {
		if err := e.addAnonMap(m); err != nil {
			return err
		}
	}
	list := make([]netlink.Attribute, 0, len(c.exprs))
	for _, x := range c.exprs {
		data, err := expr.Marshal(unix.NFPROTO_IPV4, x)
		if err != nil {
			return fmt.Errorf("rule %q: %w", r.Rule, err)
		}
		list = append(list, netlink.Attribute{Type: unix.NLA_F_NESTED | unix.NFTA_LIST_ELEM, Data: data})
	}
	exprs, err := nestedAttr(unix.NFTA_RULE_EXPRESSIONS, list...)
	if err != nil {
		return err
	}
	attrs := []netlink.Attribute{strAttr(unix.NFTA_RULE_TABLE, e.table), strAttr(unix.NFTA_RULE_CHAIN, r.Chain), exprs}
	if r.Comment != nil {
		attrs = append(attrs, netlink.Attribute{Type: unix.NFTA_RULE_USERDATA, Data: udataString(0, *r.Comment)})
	}
	e.add(unix.NFT_MSG_NEWRULE, netlink.Create|netlink.Append, attrs)
	return nil
}

func (e *encoder) addAnonMap(m anonMap) error {
	n := len(m.verdicts) + len(m.values)
	desc, err := nestedAttr(unix.NFTA_SET_DESC, u32Attr(unix.NFTA_SET_DESC_SIZE, uint32(n)))
	if err != nil {
		return err
	}
	dataTypeID, dataLen := uint32(verdictTypeID), uint32(0)
	if m.values != nil {
		ipv4, _ := lookupType("ipv4_addr")
		port, _ := lookupType("inet_service")
		dataTypeID, dataLen = concatTypeID([]dataType{ipv4, port}), 8
	}
	e.add(unix.NFT_MSG_NEWSET, netlink.Create, []netlink.Attribute{
		strAttr(unix.NFTA_SET_TABLE, e.table), strAttr(unix.NFTA_SET_NAME, anonMapName),
		u32Attr(unix.NFTA_SET_FLAGS, unix.NFT_SET_ANONYMOUS|unix.NFT_SET_CONSTANT|unix.NFT_SET_MAP),
		u32Attr(unix.NFTA_SET_KEY_TYPE, 4), u32Attr(unix.NFTA_SET_KEY_LEN, 4),
		u32Attr(unix.NFTA_SET_DATA_TYPE, dataTypeID), u32Attr(unix.NFTA_SET_DATA_LEN, dataLen),
		u32Attr(unix.NFTA_SET_ID, m.id), desc,
		{Type: unix.NFTA_SET_USERDATA, Data: udataU32(0, 1)},
	})
	elems := make([][]netlink.Attribute, 0, n)
	for k := range n {
		key, err := nestedAttr(unix.NFTA_SET_ELEM_KEY, netlink.Attribute{Type: unix.NFTA_DATA_VALUE, Data: native32(uint32(k))})
		if err != nil {
			return err
		}
		var data netlink.Attribute
		if m.values != nil {
			data, err = nestedAttr(unix.NFTA_SET_ELEM_DATA, netlink.Attribute{Type: unix.NFTA_DATA_VALUE, Data: m.values[k]})
		} else {
			data, err = verdictData(m.verdicts[k])
		}
		if err != nil {
			return err
		}
		elems = append(elems, []netlink.Attribute{key, data})
	}
	return e.elements(unix.NFT_MSG_NEWSETELEM, netlink.Create, anonMapName, m.id, elems)
}
