package dns

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	clocktesting "k8s.io/utils/clock/testing"
)

// startUpstream serves handler over UDP and TCP on one free 127.0.0.1 port
// until the test ends, and returns "127.0.0.1:port".
func startUpstream(t *testing.T, handler mdns.HandlerFunc) string {
	t.Helper()
	var pc net.PacketConn
	var l net.Listener
	var err error
	for range 20 { // the TCP twin of a free UDP port may be taken
		if pc, l, err = bindPair(t.Context(), "127.0.0.1", "0"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: handler}, {Listener: l, Handler: handler}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return addr
}

// deadAddr returns a 127.0.0.1 UDP address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// answering replies with an A record (TTL 20) for every name except
// "missing." (NXDOMAIN, SOA negative TTL 10) and "flaky." (SERVFAIL), and
// counts the queries it gets.
func answering(count *atomic.Int32, ip string) mdns.HandlerFunc {
	return func(w mdns.ResponseWriter, req *mdns.Msg) {
		count.Add(1)
		resp := new(mdns.Msg).SetReply(req)
		q := req.Question[0]
		switch q.Name {
		case "missing.":
			resp.Rcode = mdns.RcodeNameError
			resp.Ns = []mdns.RR{&mdns.SOA{Hdr: mdns.RR_Header{Name: ".", Rrtype: mdns.TypeSOA, Class: mdns.ClassINET, Ttl: 60},
				Ns: "a.root.", Mbox: "h.root.", Minttl: 10}}
		case "flaky.":
			resp.Rcode = mdns.RcodeServerFailure
		default:
			resp.Answer = []mdns.RR{&mdns.A{Hdr: mdns.RR_Header{Name: q.Name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 20}, A: net.ParseIP(ip)}}
		}
		_ = w.WriteMsg(resp)
	}
}

func TestForwarderCache(t *testing.T) {
	var count atomic.Int32
	up := startUpstream(t, answering(&count, "192.0.2.7"))
	clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
	f, err := NewForwarder(ForwarderOptions{Upstreams: []string{up}, Clock: clk, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name      string
		qname     string
		advance   time.Duration
		wantCount int32
		wantRcode int
		wantTTL   uint32 // of the first answer record, or of the SOA
	}{
		{"first query goes upstream", "example.org.", 0, 1, mdns.RcodeSuccess, 20},
		{"repeat is served from cache with aged TTL", "example.org.", 5 * time.Second, 1, mdns.RcodeSuccess, 15},
		{"other case hits the same entry", "EXAMPLE.org.", 0, 1, mdns.RcodeSuccess, 15},
		{"expired entry goes upstream again", "example.org.", 16 * time.Second, 2, mdns.RcodeSuccess, 20},
		{"NXDOMAIN goes upstream", "missing.", 0, 3, mdns.RcodeNameError, 60},
		{"NXDOMAIN is cached for the SOA minimum", "missing.", 9 * time.Second, 3, mdns.RcodeNameError, 51},
		{"negative entry expires", "missing.", 2 * time.Second, 4, mdns.RcodeNameError, 60},
		{"SERVFAIL goes upstream", "flaky.", 0, 5, mdns.RcodeServerFailure, 0},
		{"SERVFAIL is not cached", "flaky.", 0, 6, mdns.RcodeServerFailure, 0},
	}
	for i, s := range steps {
		clk.SetTime(clk.Now().Add(s.advance))
		req := query(s.qname, mdns.TypeA)
		req.Id = uint16(100 + i)
		resp, err := f.Exchange(t.Context(), req)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := count.Load(); got != s.wantCount {
			t.Errorf("%s: upstream saw %d queries, want %d", s.name, got, s.wantCount)
		}
		if resp.Id != req.Id || resp.Rcode != s.wantRcode {
			t.Errorf("%s: reply id %d rcode %s, want %d %s", s.name, resp.Id, mdns.RcodeToString[resp.Rcode], req.Id, mdns.RcodeToString[s.wantRcode])
		}
		var ttl uint32
		switch {
		case len(resp.Answer) > 0:
			ttl = resp.Answer[0].Header().Ttl
		case len(resp.Ns) > 0:
			ttl = resp.Ns[0].Header().Ttl
		}
		if ttl != s.wantTTL {
			t.Errorf("%s: TTL %d, want %d", s.name, ttl, s.wantTTL)
		}
	}
}

func TestForwarderFailover(t *testing.T) {
	var good, bad, silent atomic.Int32
	goodUp := startUpstream(t, answering(&good, "192.0.2.8"))
	failing := startUpstream(t, func(w mdns.ResponseWriter, req *mdns.Msg) {
		bad.Add(1)
		_ = w.WriteMsg(new(mdns.Msg).SetRcode(req, mdns.RcodeServerFailure))
	})
	mute := startUpstream(t, func(mdns.ResponseWriter, *mdns.Msg) { silent.Add(1) })
	tests := []struct {
		name      string
		upstreams []string
		wantErr   bool
		wantRcode int
	}{
		{"dead first upstream", []string{deadAddr(t), goodUp}, false, mdns.RcodeSuccess},
		{"silent first upstream times out", []string{mute, goodUp}, false, mdns.RcodeSuccess},
		{"SERVFAIL moves to the next", []string{failing, goodUp}, false, mdns.RcodeSuccess},
		{"only SERVFAIL is returned as such", []string{failing}, false, mdns.RcodeServerFailure},
		{"all dead is an error", []string{deadAddr(t), mute}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewForwarder(ForwarderOptions{Upstreams: tt.upstreams, Timeout: 200 * time.Millisecond, CacheSize: -1})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := f.Exchange(t.Context(), query("example.org.", mdns.TypeA))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && resp.Rcode != tt.wantRcode {
				t.Errorf("rcode %s, want %s", mdns.RcodeToString[resp.Rcode], mdns.RcodeToString[tt.wantRcode])
			}
		})
	}
	if silent.Load() == 0 || bad.Load() == 0 || good.Load() == 0 {
		t.Errorf("upstreams not all asked: silent %d failing %d good %d", silent.Load(), bad.Load(), good.Load())
	}
}

func TestForwarderRetriesTruncatedOverTCP(t *testing.T) {
	up := startUpstream(t, func(w mdns.ResponseWriter, req *mdns.Msg) {
		resp := new(mdns.Msg).SetReply(req)
		if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
			resp.Truncated = true
		} else {
			for i := range 40 {
				resp.Answer = append(resp.Answer, &mdns.A{Hdr: mdns.RR_Header{Name: req.Question[0].Name, Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 20},
					A: net.IPv4(192, 0, 2, byte(i))})
			}
		}
		_ = w.WriteMsg(resp)
	})
	f, err := NewForwarder(ForwarderOptions{Upstreams: []string{up}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.Exchange(t.Context(), query("big.example.", mdns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Truncated || len(resp.Answer) != 40 {
		t.Errorf("truncated %v with %d answers, want the full TCP reply of 40", resp.Truncated, len(resp.Answer))
	}
}

func TestUpstreamAddresses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(path, []byte("search example.com\nnameserver 192.0.2.1\nnameserver 2001:db8::1\noptions ndots:5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := UpstreamsFromResolvConf(path)
	if want := []string{"192.0.2.1:53", "[2001:db8::1]:53"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("UpstreamsFromResolvConf = %q, %v; want %q", got, err, want)
	}
	if _, err := UpstreamsFromResolvConf(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing resolv.conf gave no error")
	}
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"192.0.2.1", "192.0.2.1:53", false},
		{"192.0.2.1:5353", "192.0.2.1:5353", false},
		{"2001:db8::1", "[2001:db8::1]:53", false},
		{"[2001:db8::1]:54", "[2001:db8::1]:54", false},
		{"", "", true},
		{":53", "", true},
	}
	for _, tt := range tests {
		got, err := upstreamAddr(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("upstreamAddr(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := NewForwarder(ForwarderOptions{}); err == nil {
		t.Error("NewForwarder without upstreams gave no error")
	}
}
