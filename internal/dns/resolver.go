package dns

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	mdns "github.com/miekg/dns"
)

// Exchanger sends a query to upstream resolvers.
type Exchanger interface {
	// Exchange returns the upstream reply to req, with req's Id, or an error
	// when no upstream answered. It must not modify req.
	Exchange(ctx context.Context, req *mdns.Msg) (*mdns.Msg, error)
}

// maxChase bounds how many CNAMEs Resolve follows for one query.
const maxChase = 8

// ednsUDPSize is the UDP payload size the server advertises.
const ednsUDPSize = 1232

// Resolver decides the reply to every query: the cluster zone's answer for
// names in it, PTR answers for cluster addresses, the upstream's for the
// rest. It is safe for concurrent use.
type Resolver struct {
	zone     *Zone
	upstream Exchanger
	ready    func() bool
	log      *slog.Logger
}

// NewResolver returns a Resolver. upstream nil makes queries outside the
// zone fail with SERVFAIL; ready nil means the catalog is always ready,
// otherwise zone queries get SERVFAIL until it returns true.
func NewResolver(zone *Zone, upstream Exchanger, ready func() bool, log *slog.Logger) *Resolver {
	if ready == nil {
		ready = func() bool { return true }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{zone: zone, upstream: upstream, ready: ready, log: log}
}

// Resolve returns the reply to req; it never returns nil. Malformed
// queries get FORMERR, opcodes other than QUERY get NOTIMP, zone transfers
// are REFUSED.
func (r *Resolver) Resolve(ctx context.Context, req *mdns.Msg) *mdns.Msg {
	switch {
	case req.Response || len(req.Question) != 1:
		return failure(req, mdns.RcodeFormatError)
	case req.Opcode != mdns.OpcodeQuery:
		return failure(req, mdns.RcodeNotImplemented)
	}
	q := req.Question[0]
	switch q.Qtype {
	case mdns.TypeOPT, mdns.TypeNone:
		return failure(req, mdns.RcodeFormatError)
	case mdns.TypeAXFR, mdns.TypeIXFR:
		return failure(req, mdns.RcodeRefused)
	}
	if r.zone.Contains(q.Name) {
		return withEDNS(req, r.resolveZone(ctx, req))
	}
	if r.ready() {
		resp, ok, err := r.zone.Reverse(req)
		if err != nil {
			r.log.Error("reverse lookup failed", "name", q.Name, "err", err)
			return failure(req, mdns.RcodeServerFailure)
		}
		if ok {
			return withEDNS(req, resp)
		}
	}
	return r.forward(ctx, req)
}

// resolveZone answers a question inside the cluster zone.
func (r *Resolver) resolveZone(ctx context.Context, req *mdns.Msg) *mdns.Msg {
	q := req.Question[0]
	if q.Qclass != mdns.ClassINET && q.Qclass != mdns.ClassANY {
		return failure(req, mdns.RcodeRefused)
	}
	if !r.ready() {
		return failure(req, mdns.RcodeServerFailure)
	}
	resp, err := r.zone.Answer(req)
	if err != nil {
		r.log.Error("zone lookup failed", "name", q.Name, "err", err)
		return failure(req, mdns.RcodeServerFailure)
	}
	if q.Qtype != mdns.TypeCNAME && q.Qtype != mdns.TypeANY {
		r.chase(ctx, req, resp)
	}
	return resp
}

// chase follows a CNAME ending the answer (an ExternalName Service) to
// records of the asked type, inside the zone or through the upstream, and
// appends what it finds. Failures leave the CNAME answer as it is.
func (r *Resolver) chase(ctx context.Context, req, resp *mdns.Msg) {
	qtype := req.Question[0].Qtype
	for range maxChase {
		if len(resp.Answer) == 0 {
			return
		}
		cname, ok := resp.Answer[len(resp.Answer)-1].(*mdns.CNAME)
		if !ok {
			return
		}
		sub := new(mdns.Msg)
		sub.SetQuestion(cname.Target, qtype)
		var next *mdns.Msg
		var err error
		switch {
		case r.zone.Contains(cname.Target):
			next, err = r.zone.Answer(sub)
		case r.upstream != nil:
			next, err = r.upstream.Exchange(ctx, sub)
		default:
			return
		}
		if err != nil {
			r.log.Debug("cname target lookup failed", "target", cname.Target, "err", err)
			return
		}
		if len(next.Answer) == 0 {
			return
		}
		resp.Answer = append(resp.Answer, next.Answer...)
		if !r.zone.Contains(cname.Target) {
			return // the upstream already followed the rest of the chain
		}
	}
}

// forward sends a query outside the zone to the upstream resolvers.
func (r *Resolver) forward(ctx context.Context, req *mdns.Msg) *mdns.Msg {
	if r.upstream == nil {
		return failure(req, mdns.RcodeServerFailure)
	}
	resp, err := r.upstream.Exchange(ctx, req)
	if err != nil {
		r.log.Warn("forward failed", "name", req.Question[0].Name, "err", err)
		return failure(req, mdns.RcodeServerFailure)
	}
	resp.Id = req.Id
	if len(resp.Question) == 1 && strings.EqualFold(resp.Question[0].Name, req.Question[0].Name) {
		resp.Question[0].Name = req.Question[0].Name
	}
	return resp
}

// Handler returns a miekg/dns handler serving Resolve; ctx bounds upstream
// queries. A panic while answering is logged and answered with SERVFAIL.
func (r *Resolver) Handler(ctx context.Context) mdns.Handler {
	return mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		defer func() {
			if p := recover(); p != nil {
				r.log.Error("panic answering query", "panic", fmt.Sprint(p))
				_ = w.WriteMsg(failure(req, mdns.RcodeServerFailure))
			}
		}()
		resp := r.Resolve(ctx, req)
		resp.Truncate(replySize(w, req))
		if err := w.WriteMsg(resp); err != nil {
			r.log.Debug("write reply failed", "remote", w.RemoteAddr(), "err", err)
		}
	})
}

// replySize is the largest reply the client accepts on this transport.
func replySize(w mdns.ResponseWriter, req *mdns.Msg) int {
	if _, udp := w.LocalAddr().(*net.UDPAddr); !udp {
		return mdns.MaxMsgSize
	}
	if opt := req.IsEdns0(); opt != nil {
		return min(max(int(opt.UDPSize()), mdns.MinMsgSize), 4096)
	}
	return mdns.MinMsgSize
}

// failure is the reply to req carrying only rcode.
func failure(req *mdns.Msg, rcode int) *mdns.Msg {
	resp := new(mdns.Msg).SetRcode(req, rcode)
	resp.RecursionAvailable = true
	return withEDNS(req, resp)
}

// withEDNS adds an OPT record to a locally built reply when the query had
// one, as RFC 6891 requires.
func withEDNS(req, resp *mdns.Msg) *mdns.Msg {
	if opt := req.IsEdns0(); opt != nil && resp.IsEdns0() == nil {
		resp.SetEdns0(ednsUDPSize, opt.Do())
	}
	return resp
}
