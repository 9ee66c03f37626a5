package proxy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// netlinkTables programs the proxy's table (family ip) by sending nf_tables
// netlink messages itself, without the nft binary: a batch becomes one
// netlink transaction (BATCH_BEGIN … BATCH_END) in one sendmsg. nft would
// first load the table into its cache on every run, which for ten thousand
// chains costs more than the change itself.
//
// The socket is opened by the first call, on the calling thread, so a
// caller that locked its thread into a network namespace programs that
// namespace; it stays open until close. Closing an nf_tables socket waits
// for the kernel to finish releasing what earlier transactions removed (an
// RCU grace period, ~10 ms), which a socket per sync would pay every time.
// Not safe for concurrent use.
type netlinkTables struct {
	table string
	conn  *netlink.Conn
}

var _ tables = (*netlinkTables)(nil)

func newNetlinkTables(table string) *netlinkTables { return &netlinkTables{table: table} }

func (n *netlinkTables) run(ctx context.Context, b *batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	enc := newEncoder(n.table)
	for i, o := range b.ops {
		if err := enc.op(o); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
	}
	enc.flushElements()
	if enc.err != nil {
		return enc.err
	}
	return n.transact(enc.msgs)
}

// socket returns the open socket, opening it on the calling thread if needed.
func (n *netlinkTables) socket() (*netlink.Conn, error) {
	if n.conn == nil {
		conn, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
		if err != nil {
			return nil, fmt.Errorf("open nftables netlink socket: %w", err)
		}
		n.conn = conn
	}
	return n.conn, nil
}

// close closes the socket, if open; the next call opens a new one.
func (n *netlinkTables) close() error {
	if n.conn == nil {
		return nil
	}
	err := n.conn.Close()
	n.conn = nil
	return err
}

// transact runs msgs as one transaction on the socket. After a failure the
// socket is closed, so that no reply of this transaction is read as one of
// the next.
func (n *netlinkTables) transact(msgs []netlink.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	conn, err := n.socket()
	if err != nil {
		return err
	}
	if err := transact(conn, msgs); err != nil {
		_ = n.close()
		return err
	}
	return nil
}

func (n *netlinkTables) deleteTable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	enc := newEncoder(n.table)
	enc.add(unix.NFT_MSG_DELTABLE, 0, []netlink.Attribute{strAttr(unix.NFTA_TABLE_NAME, n.table)})
	err := n.transact(enc.msgs)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete nftables table: %w", err)
	}
	return nil
}

func (n *netlinkTables) list(ctx context.Context) (chains, sets, maps []string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	conn, err := n.socket()
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			_ = n.close()
		}
	}()
	// Chains are dumped per family; keep this table's.
	replies, err := nlDump(conn, unix.NFT_MSG_GETCHAIN, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list nftables chains: %w", err)
	}
	for _, attrs := range replies {
		if attrs.str(unix.NFTA_CHAIN_TABLE) == n.table {
			chains = append(chains, attrs.str(unix.NFTA_CHAIN_NAME))
		}
	}
	replies, err = nlDump(conn, unix.NFT_MSG_GETSET, []netlink.Attribute{strAttr(unix.NFTA_SET_TABLE, n.table)})
	if errors.Is(err, unix.ENOENT) {
		return chains, nil, nil, nil // no table yet
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list nftables sets: %w", err)
	}
	for _, attrs := range replies {
		name := attrs.str(unix.NFTA_SET_NAME)
		var flags uint32
		if f := attrs[unix.NFTA_SET_FLAGS]; len(f) == 4 {
			flags = binary.BigEndian.Uint32(f)
		}
		switch {
		case flags&unix.NFT_SET_ANONYMOUS != 0:
			// Owned by a rule; goes with it.
		case flags&unix.NFT_SET_MAP != 0:
			maps = append(maps, name)
		default:
			sets = append(sets, name)
		}
	}
	return chains, sets, maps, nil
}

// probe checks that the kernel speaks nf_tables, by asking for its ruleset
// generation.
func probe() error {
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return fmt.Errorf("open nftables netlink socket: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Execute(netlink.Message{
		Header: netlink.Header{Type: nftType(unix.NFT_MSG_GETGEN), Flags: netlink.Request},
		Data:   nfgenHeader(unix.AF_UNSPEC, 0),
	}); err != nil {
		return fmt.Errorf("nftables generation request: %w", err)
	}
	return nil
}

// attrMap is the top-level attributes of one message by type.
type attrMap map[uint16][]byte

func (a attrMap) str(typ uint16) string { return strings.TrimRight(string(a[typ]), "\x00") }

// nlDump runs one nf_tables GET dump for family ip and returns the attributes
// of each reply.
func nlDump(conn *netlink.Conn, msgType uint16, attrs []netlink.Attribute) ([]attrMap, error) {
	data, err := netlink.MarshalAttributes(attrs)
	if err != nil {
		return nil, err
	}
	req := netlink.Message{
		Header: netlink.Header{Type: nftType(msgType), Flags: netlink.Request | netlink.Dump},
		Data:   append(nfgenHeader(unix.NFPROTO_IPV4, 0), data...),
	}
	replies, err := conn.Execute(req)
	if err != nil {
		return nil, err
	}
	out := make([]attrMap, 0, len(replies))
	for _, m := range replies {
		if len(m.Data) < 4 {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		if err != nil {
			return nil, err
		}
		am := attrMap{}
		for ad.Next() {
			am[ad.Type()] = ad.Bytes()
		}
		if err := ad.Err(); err != nil {
			return nil, err
		}
		out = append(out, am)
	}
	return out, nil
}

// transact sends msgs on conn as one nf_tables transaction and waits for
// its outcome. The kernel handles the whole batch inside sendmsg and queues an
// error for each failed message (none on success); a GETGEN request sent
// after it is answered only after those, so its reply means success.
func transact(conn *netlink.Conn, msgs []netlink.Message) error {
	all := make([]netlink.Message, 0, len(msgs)+2)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_BEGIN), Flags: netlink.Request},
		Data:   nfgenHeader(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	all = append(all, msgs...)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_END), Flags: netlink.Request},
		Data:   nfgenHeader(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	// The whole batch travels in one sendmsg, which the send buffer must
	// hold (the kernel doubles the value given). It is laid out here in one
	// allocation rather than by netlink.Conn.SendMessages, which grows its
	// buffer message by message.
	size := 0
	for _, m := range all {
		size += nlmsgHeaderLen + (len(m.Data)+3)&^3
	}
	buf := make([]byte, 0, size)
	for i, m := range all {
		buf = binary.NativeEndian.AppendUint32(buf, uint32(nlmsgHeaderLen+len(m.Data)))
		buf = binary.NativeEndian.AppendUint16(buf, uint16(m.Header.Type))
		buf = binary.NativeEndian.AppendUint16(buf, uint16(m.Header.Flags))
		buf = binary.NativeEndian.AppendUint32(buf, uint32(i+1))
		buf = binary.NativeEndian.AppendUint32(buf, 0)
		buf = append(buf, m.Data...)
		for len(buf)%4 != 0 {
			buf = append(buf, 0)
		}
	}
	if err := setBuffer(conn, unix.SO_SNDBUFFORCE, size/2+1<<16); err != nil {
		return err
	}
	if err := sendRaw(conn, buf); err != nil {
		return fmt.Errorf("send nftables batch (%d bytes): %w", size, err)
	}
	getgen, err := conn.Send(netlink.Message{
		// No ACK flag: the reply is the only answer, so nothing is left
		// queued for the next transaction on this socket.
		Header: netlink.Header{Type: nftType(unix.NFT_MSG_GETGEN), Flags: netlink.Request},
		Data:   nfgenHeader(unix.AF_UNSPEC, 0),
	})
	if err != nil {
		return fmt.Errorf("send nftables generation request: %w", err)
	}
	for {
		replies, err := conn.Receive()
		if err != nil {
			return fmt.Errorf("nftables transaction: %w", err)
		}
		for _, r := range replies {
			if r.Header.Sequence == getgen.Header.Sequence {
				return nil
			}
		}
	}
}

// nlmsgHeaderLen is the size of struct nlmsghdr.
const nlmsgHeaderLen = 16

// sendRaw writes one datagram of already laid-out netlink messages to the
// kernel.
func sendRaw(conn *netlink.Conn, buf []byte) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.Sendto(int(fd), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	}); err != nil {
		return err
	}
	return serr
}

func setBuffer(conn *netlink.Conn, opt, size int) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, size)
	}); err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	if serr != nil && !errors.Is(serr, syscall.EPERM) {
		return fmt.Errorf("size netlink socket buffer: %w", serr)
	}
	return nil
}

func nftType(msg uint16) netlink.HeaderType {
	return netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | msg)
}

// nfgenHeader is struct nfgenmsg: family, version 0, resource id (big
// endian).
func nfgenHeader(family uint8, resID uint16) []byte {
	return []byte{family, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}

func strAttr(typ uint16, s string) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: append([]byte(s), 0)}
}

func u32Attr(typ uint16, v uint32) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: binary.BigEndian.AppendUint32(nil, v)}
}

func nestedAttr(typ uint16, attrs ...netlink.Attribute) (netlink.Attribute, error) {
	data, err := netlink.MarshalAttributes(attrs)
	return netlink.Attribute{Type: typ | unix.NLA_F_NESTED, Data: data}, err
}
