package proxy

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/knftables"
)

// encoder turns batch operations on knftables objects into nf_tables
// netlink messages for one table of family ip. It knows the subset of nft
// that Ruleset writes (see compileRule); anything else is an error, not a
// guess.
type encoder struct {
	table string
	msgs  []netlink.Message
	// keys holds the key types of the sets and maps added in this batch,
	// for their elements; others are named by the builtin sets and maps of
	// the ruleset (see keyTypeOf).
	keys  map[string][]dataType
	setID uint32
	err   error // first encoding failure

	// Consecutive element operations on one set share a message, as nft
	// does: far fewer messages for the kernel to parse.
	pendMsg   uint16
	pendFlags netlink.HeaderFlags
	pendSet   string
	pendElems [][]netlink.Attribute
}

// maxElementsPerMessage keeps a message's element list (whose attribute
// length is 16 bits) well under 64 KiB.
const maxElementsPerMessage = 256

func newEncoder(table string) *encoder {
	return &encoder{table: table, keys: map[string][]dataType{}}
}

// add appends one nf_tables message with the given attributes.
func (e *encoder) add(msgType uint16, flags netlink.HeaderFlags, attrs []netlink.Attribute) {
	e.msgs = append(e.msgs, netlink.Message{
		Header: netlink.Header{Type: nftType(msgType), Flags: netlink.Request | flags},
		Data:   e.appendAttributes(nfgenHeader(unix.NFPROTO_IPV4, 0), attrs, msgType),
	})
}

func (e *encoder) op(o op) error {
	if el, ok := o.obj.(*knftables.Element); ok {
		return e.element(o.verb, el)
	}
	e.flushElements()
	table := strAttr(unix.NFTA_TABLE_NAME, e.table) // NFTA_*_TABLE is 1 for every object
	switch obj := o.obj.(type) {
	case *knftables.Table:
		switch o.verb {
		case verbAdd:
			e.add(unix.NFT_MSG_NEWTABLE, netlink.Create, []netlink.Attribute{table})
			return nil
		case verbDelete:
			e.add(unix.NFT_MSG_DELTABLE, 0, []netlink.Attribute{table})
			return nil
		}
	case *knftables.Chain:
		name := strAttr(unix.NFTA_CHAIN_NAME, obj.Name)
		switch o.verb {
		case verbAdd:
			return e.addChain(obj)
		case verbFlush:
			e.add(unix.NFT_MSG_DELRULE, 0, []netlink.Attribute{table, strAttr(unix.NFTA_RULE_CHAIN, obj.Name)})
			return nil
		case verbDelete:
			e.add(unix.NFT_MSG_DELCHAIN, 0, []netlink.Attribute{table, name})
			return nil
		}
	case *knftables.Set:
		return e.setOp(o.verb, obj.Name, obj.Type, false, obj.Flags, obj.Timeout)
	case *knftables.Map:
		return e.setOp(o.verb, obj.Name, obj.Type, true, obj.Flags, obj.Timeout)
	case *knftables.Rule:
		if o.verb == verbAdd {
			return e.addRule(obj)
		}
	}
	return fmt.Errorf("unsupported nftables operation %d on %T", o.verb, o.obj)
}

func (e *encoder) addChain(c *knftables.Chain) error {
	attrs := []netlink.Attribute{strAttr(unix.NFTA_CHAIN_TABLE, e.table), strAttr(unix.NFTA_CHAIN_NAME, c.Name)}
	if c.Hook != nil {
		if c.Type == nil || c.Priority == nil {
			return fmt.Errorf("base chain %s needs a type and a priority", c.Name)
		}
		hook, ok := hookNumber(*c.Hook)
		if !ok {
			return fmt.Errorf("chain %s: unsupported hook %q", c.Name, *c.Hook)
		}
		prio, err := priorityValue(*c.Priority)
		if err != nil {
			return fmt.Errorf("chain %s: %w", c.Name, err)
		}
		h, err := nestedAttr(unix.NFTA_CHAIN_HOOK,
			u32Attr(unix.NFTA_HOOK_HOOKNUM, hook),
			u32Attr(unix.NFTA_HOOK_PRIORITY, uint32(prio)))
		if err != nil {
			return err
		}
		attrs = append(attrs, h, strAttr(unix.NFTA_CHAIN_TYPE, string(*c.Type)))
	}
	e.add(unix.NFT_MSG_NEWCHAIN, netlink.Create, attrs)
	return nil
}

func hookNumber(h knftables.BaseChainHook) (uint32, bool) {
	switch h {
	case knftables.PreroutingHook:
		return unix.NF_INET_PRE_ROUTING, true
	case knftables.InputHook:
		return unix.NF_INET_LOCAL_IN, true
	case knftables.ForwardHook:
		return unix.NF_INET_FORWARD, true
	case knftables.OutputHook:
		return unix.NF_INET_LOCAL_OUT, true
	case knftables.PostroutingHook:
		return unix.NF_INET_POST_ROUTING, true
	}
	return 0, false
}

// priorityValue reads a chain priority: a number, or one of nft's names for
// family ip.
func priorityValue(p knftables.BaseChainPriority) (int32, error) {
	switch p {
	case knftables.RawPriority:
		return -300, nil
	case knftables.ManglePriority:
		return -150, nil
	case knftables.DNATPriority:
		return -100, nil
	case knftables.FilterPriority:
		return 0, nil
	case knftables.SecurityPriority:
		return 50, nil
	case knftables.SNATPriority:
		return 100, nil
	}
	n, err := strconv.ParseInt(string(p), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("unsupported chain priority %q", p)
	}
	return int32(n), nil
}

// setOp encodes add, flush or delete of a named set or map.
func (e *encoder) setOp(v verb, name, typ string, isMap bool, flags []knftables.SetFlag, timeout *time.Duration) error {
	table := strAttr(unix.NFTA_SET_TABLE, e.table)
	switch v {
	case verbFlush:
		e.add(unix.NFT_MSG_DELSETELEM, 0, []netlink.Attribute{table, strAttr(unix.NFTA_SET_ELEM_LIST_SET, name)})
		return nil
	case verbDelete:
		e.add(unix.NFT_MSG_DELSET, 0, []netlink.Attribute{table, strAttr(unix.NFTA_SET_NAME, name)})
		return nil
	}
	keyText, dataText, hasData := strings.Cut(typ, " : ")
	if hasData != isMap || (isMap && strings.TrimSpace(dataText) != "verdict") {
		return fmt.Errorf("set %s: unsupported type %q", name, typ)
	}
	key, err := parseKeyType(keyText)
	if err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	var f uint32
	if isMap {
		f |= unix.NFT_SET_MAP
	}
	for _, fl := range flags {
		switch fl {
		case knftables.DynamicFlag:
			f |= unix.NFT_SET_EVAL
		case knftables.TimeoutFlag:
			f |= unix.NFT_SET_TIMEOUT
		default:
			return fmt.Errorf("set %s: unsupported flag %q", name, fl)
		}
	}
	e.setID++
	attrs := []netlink.Attribute{
		table, strAttr(unix.NFTA_SET_NAME, name), u32Attr(unix.NFTA_SET_FLAGS, f),
		u32Attr(unix.NFTA_SET_KEY_TYPE, concatTypeID(key)), u32Attr(unix.NFTA_SET_KEY_LEN, keyLen(key)),
	}
	if isMap {
		attrs = append(attrs, u32Attr(unix.NFTA_SET_DATA_TYPE, verdictTypeID), u32Attr(unix.NFTA_SET_DATA_LEN, 0))
	}
	attrs = append(attrs, u32Attr(unix.NFTA_SET_ID, e.setID))
	if timeout != nil {
		attrs = append(attrs, netlink.Attribute{Type: unix.NFTA_SET_TIMEOUT, Data: binary.BigEndian.AppendUint64(nil, uint64(timeout.Milliseconds()))})
	}
	if len(key) == 1 {
		// What nft records for printing: the key's byte order.
		attrs = append(attrs, netlink.Attribute{Type: unix.NFTA_SET_USERDATA, Data: udataU32(0, key[0].byteOrder)})
	}
	e.add(unix.NFT_MSG_NEWSET, netlink.Create, attrs)
	e.keys[name] = key
	return nil
}

// element encodes adding or deleting one element of a named set or map.
func (e *encoder) element(v verb, el *knftables.Element) error {
	name := el.Set + el.Map
	key, ok := e.keys[name]
	if !ok {
		key, ok = keyTypeOf(name)
	}
	if !ok {
		return fmt.Errorf("element of %s: unknown key type", name)
	}
	keyBytes, err := encodeKey(key, el.Key)
	if err != nil {
		return fmt.Errorf("element of %s: %w", name, err)
	}
	elem := []netlink.Attribute{}
	k, err := nestedAttr(unix.NFTA_SET_ELEM_KEY, netlink.Attribute{Type: unix.NFTA_DATA_VALUE, Data: keyBytes})
	if err != nil {
		return err
	}
	elem = append(elem, k)
	msg := uint16(unix.NFT_MSG_DELSETELEM)
	var flags netlink.HeaderFlags
	if v == verbAdd {
		msg, flags = unix.NFT_MSG_NEWSETELEM, netlink.Create
		if el.Map != "" {
			d, err := verdictData(strings.Join(el.Value, " "))
			if err != nil {
				return fmt.Errorf("element of %s: %w", name, err)
			}
			elem = append(elem, d)
		}
		if el.Comment != nil {
			elem = append(elem, netlink.Attribute{Type: unix.NFTA_SET_ELEM_USERDATA, Data: udataString(0, *el.Comment)})
		}
	} else if v != verbDelete {
		return fmt.Errorf("unsupported operation %d on an element of %s", v, name)
	}
	if e.pendElems != nil && (e.pendMsg != msg || e.pendSet != name || len(e.pendElems) == maxElementsPerMessage) {
		e.flushElements()
	}
	e.pendMsg, e.pendFlags, e.pendSet = msg, flags, name
	e.pendElems = append(e.pendElems, elem)
	return nil
}

// flushElements writes the pending element operations as one message.
func (e *encoder) flushElements() {
	if e.pendElems == nil {
		return
	}
	if err := e.elements(e.pendMsg, e.pendFlags, e.pendSet, 0, e.pendElems); err != nil && e.err == nil {
		e.err = err
	}
	e.pendElems = nil
}

// elements appends one message adding or deleting elems (each the
// attributes of one element) in set name, or in the anonymous set id.
func (e *encoder) elements(msg uint16, flags netlink.HeaderFlags, name string, id uint32, elems [][]netlink.Attribute) error {
	list := make([]netlink.Attribute, 0, len(elems))
	for _, el := range elems {
		a, err := nestedAttr(unix.NFTA_LIST_ELEM, el...)
		if err != nil {
			return err
		}
		list = append(list, a)
	}
	l, err := nestedAttr(unix.NFTA_SET_ELEM_LIST_ELEMENTS, list...)
	if err != nil {
		return err
	}
	attrs := []netlink.Attribute{strAttr(unix.NFTA_SET_ELEM_LIST_TABLE, e.table)}
	if id != 0 {
		// By id alone: given a name, the kernel would first compare it
		// with every set of the table (an anonymous set's name is only a
		// template), for each map of the batch.
		attrs = append(attrs, u32Attr(unix.NFTA_SET_ELEM_LIST_SET_ID, id))
	} else {
		attrs = append(attrs, strAttr(unix.NFTA_SET_ELEM_LIST_SET, name))
	}
	e.add(msg, flags, append(attrs, l))
	return nil
}

// verdictData encodes a verdict ("goto CHAIN", "jump CHAIN", "drop",
// "accept", "return") as set element data.
func verdictData(text string) (netlink.Attribute, error) {
	code, chain, err := parseVerdict(strings.Fields(text))
	if err != nil {
		return netlink.Attribute{}, err
	}
	attrs := []netlink.Attribute{u32Attr(unix.NFTA_VERDICT_CODE, uint32(code))}
	if chain != "" {
		attrs = append(attrs, strAttr(unix.NFTA_VERDICT_CHAIN, chain))
	}
	v, err := nestedAttr(unix.NFTA_DATA_VERDICT, attrs...)
	if err != nil {
		return netlink.Attribute{}, err
	}
	return nestedAttr(unix.NFTA_SET_ELEM_DATA, v)
}

// Verdict codes of netfilter.h that x/sys/unix does not name.
const (
	nfDrop   = 0
	nfAccept = 1
)

func parseVerdict(words []string) (code int32, chain string, err error) {
	switch {
	case len(words) == 2 && words[0] == "goto":
		return unix.NFT_GOTO, words[1], nil
	case len(words) == 2 && words[0] == "jump":
		return unix.NFT_JUMP, words[1], nil
	case len(words) == 1 && words[0] == "drop":
		return nfDrop, "", nil
	case len(words) == 1 && words[0] == "accept":
		return nfAccept, "", nil
	case len(words) == 1 && words[0] == "return":
		return unix.NFT_RETURN, "", nil
	}
	return 0, "", fmt.Errorf("unsupported verdict %q", strings.Join(words, " "))
}

// udataU32 is one nftnl user-data TLV holding a native-endian u32.
func udataU32(typ byte, v uint32) []byte {
	return binary.NativeEndian.AppendUint32([]byte{typ, 4}, v)
}

// udataString is one nftnl user-data TLV holding a NUL-terminated string
// (comments).
func udataString(typ byte, s string) []byte {
	if len(s) > knftables.CommentLengthMax {
		s = s[:knftables.CommentLengthMax]
	}
	return append(append([]byte{typ, byte(len(s) + 1)}, s...), 0)
}

// dataType is one nft data type a set key can be made of.
type dataType struct {
	name      string
	id        uint32
	size      int    // bytes of the value itself (registers pad to 4)
	byteOrder uint32 // as nft records it: 1 host, 2 network
}

const verdictTypeID = 0xffffff00

func lookupType(name string) (dataType, bool) {
	switch name {
	case "ipv4_addr":
		return dataType{name, 7, 4, 2}, true
	case "inet_proto":
		return dataType{name, 12, 1, 1}, true
	case "inet_service":
		return dataType{name, 13, 2, 2}, true
	case "integer":
		return dataType{name, 4, 4, 1}, true
	}
	return dataType{}, false
}

func parseKeyType(text string) ([]dataType, error) {
	var out []dataType
	for _, part := range strings.Split(text, " . ") {
		t, ok := lookupType(strings.TrimSpace(part))
		if !ok {
			return nil, fmt.Errorf("unsupported key type %q", text)
		}
		out = append(out, t)
	}
	return out, nil
}

// keyTypeOf knows the key types of the builtin sets and maps, for
// incremental batches that add elements without re-adding their set.
func keyTypeOf(name string) ([]dataType, bool) {
	var text string
	switch name {
	case mapServiceIPs, mapNoEndpointServices:
		text = "ipv4_addr . inet_proto . inet_service"
	case mapServiceNodePorts, mapNoEndpointNodePorts:
		text = "inet_proto . inet_service"
	case setNodePortIPs:
		text = "ipv4_addr"
	case setHairpin:
		text = "ipv4_addr . ipv4_addr"
	default:
		if !strings.HasPrefix(name, "affinity-") {
			return nil, false
		}
		text = "ipv4_addr"
	}
	t, err := parseKeyType(text)
	return t, err == nil
}

// concatTypeID is nft's encoding of a concatenated type: 6 bits per part.
func concatTypeID(ts []dataType) uint32 {
	var id uint32
	for _, t := range ts {
		id = id<<6 | t.id
	}
	return id
}

func keyLen(ts []dataType) uint32 {
	if len(ts) == 1 {
		return uint32(ts[0].size)
	}
	return uint32(4 * len(ts))
}

// encodeKey encodes the text of a key; parts of a concatenation are padded
// to 4 bytes each, as registers hold them.
func encodeKey(ts []dataType, parts []string) ([]byte, error) {
	if len(parts) == 1 && len(ts) > 1 {
		parts = strings.Split(parts[0], " . ")
	}
	if len(parts) != len(ts) {
		return nil, fmt.Errorf("key %q does not match its type", strings.Join(parts, " . "))
	}
	var out []byte
	for i, t := range ts {
		v, err := encodeValue(t.name, strings.TrimSpace(parts[i]))
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
		if len(ts) > 1 {
			for len(out)%4 != 0 {
				out = append(out, 0)
			}
		}
	}
	return out, nil
}

func encodeValue(typ, text string) ([]byte, error) {
	switch typ {
	case "ipv4_addr":
		ip := net.ParseIP(text).To4()
		if ip == nil {
			return nil, fmt.Errorf("bad IPv4 address %q", text)
		}
		return []byte(ip), nil
	case "inet_proto":
		p, ok := protoNumber(text)
		if !ok {
			return nil, fmt.Errorf("bad protocol %q", text)
		}
		return []byte{p}, nil
	case "inet_service":
		n, err := strconv.ParseUint(text, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", text)
		}
		return binary.BigEndian.AppendUint16(nil, uint16(n)), nil
	}
	return nil, fmt.Errorf("unsupported key type %q", typ)
}

func protoNumber(name string) (byte, bool) {
	switch name {
	case "tcp":
		return unix.IPPROTO_TCP, true
	case "udp":
		return unix.IPPROTO_UDP, true
	case "sctp":
		return unix.IPPROTO_SCTP, true
	}
	n, err := strconv.ParseUint(name, 10, 8)
	return byte(n), err == nil
}
