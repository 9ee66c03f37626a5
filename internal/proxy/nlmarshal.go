package proxy

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"
)

// nlaHeaderLen is the size of struct nlattr.
const nlaHeaderLen = 4

// appendAttributes lays attrs out after b (a message's fixed header) in one
// allocation, as netlink.MarshalAttributes would lay them out alone: the
// batch of a full sync has tens of thousands of messages, and marshalling
// then copying behind the header doubled their garbage. An attribute too
// long for its 16-bit length records the encoder's first error.
func (e *encoder) appendAttributes(b []byte, attrs []netlink.Attribute, msgType uint16) []byte {
	size := len(b)
	for _, a := range attrs {
		size += nlaHeaderLen + (len(a.Data)+3)&^3
	}
	out := make([]byte, len(b), size)
	copy(out, b)
	for _, a := range attrs {
		n := nlaHeaderLen + len(a.Data)
		if n > 0xffff && e.err == nil {
			e.err = fmt.Errorf("marshal nftables message %d: attribute %d is %d bytes, over 64 KiB", msgType, a.Type, n)
		}
		out = binary.NativeEndian.AppendUint16(out, uint16(n))
		out = binary.NativeEndian.AppendUint16(out, a.Type)
		out = append(out, a.Data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}
