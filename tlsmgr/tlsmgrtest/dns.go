package tlsmgrtest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Zone is the zone the stub is authoritative for.
const Zone = "example.org."

// DNSStub answers for Zone: every name is 127.0.0.1 (and has no
// AAAA record: Pebble asks AAAA first and dials only the first address),
// TXT records come from what was added through RFC 2136 updates or
// written to txtFile, and the zone has an SOA record.
type DNSStub struct {
	// Addr is host:port, for UDP and TCP alike.
	Addr string
	// TXTFile is a file of lines "<fqdn> <value>" whose TXT records the
	// stub serves, as a DNS-01 exec hook might write them.
	TXTFile string
	// TSIG maps the TSIG key names that may send RFC 2136 updates (with a
	// trailing dot) to their base64 secrets.
	TSIG map[string]string

	mu  sync.Mutex
	txt map[string][]string // from updates, by lower-case fqdn
}

// StartDNSStub starts a stub on a loopback port, over UDP and TCP, until
// the end of the test.
func StartDNSStub(t testing.TB) *DNSStub {
	t.Helper()
	s := &DNSStub{
		TXTFile: filepath.Join(t.TempDir(), "txt"),
		TSIG:    map[string]string{"tlsmgr-test.": "c2VjcmV0IGZvciB0aGUgdGxzbWdyIHRlc3Rz"},
		txt:     map[string][]string{},
	}
	// certmagic asks over UDP, Pebble and the RFC 2136 provider over TCP:
	// both on one port.
	var tcp net.Listener
	var udp net.PacketConn
	for range 20 {
		var err error
		if tcp, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if udp, err = net.ListenPacket("udp", tcp.Addr().String()); err == nil {
			break
		}
		tcp.Close()
		tcp = nil
	}
	if tcp == nil {
		t.Fatal("no port free for both TCP and UDP")
	}
	s.Addr = tcp.Addr().String()
	for _, srv := range []*dns.Server{
		{Listener: tcp, Handler: s, TsigSecret: s.TSIG, MsgAcceptFunc: acceptUpdates},
		{PacketConn: udp, Handler: s, TsigSecret: s.TSIG, MsgAcceptFunc: acceptUpdates},
	} {
		go srv.ActivateAndServe()
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

// acceptUpdates lets UPDATE messages through, which miekg/dns refuses by
// default.
func acceptUpdates(h dns.Header) dns.MsgAcceptAction {
	if int(h.Bits>>11)&0xF == dns.OpcodeUpdate {
		return dns.MsgAccept
	}
	return dns.DefaultMsgAcceptFunc(h)
}

// ServeDNS implements dns.Handler.
func (s *DNSStub) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	if req.Opcode == dns.OpcodeUpdate {
		s.update(w, req, resp)
		return
	}
	for _, q := range req.Question {
		name := strings.ToLower(q.Name)
		if !dns.IsSubDomain(Zone, name) {
			resp.Rcode = dns.RcodeRefused
			continue
		}
		hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 1}
		switch q.Qtype {
		case dns.TypeA:
			resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
		case dns.TypeSOA:
			if name == Zone {
				resp.Answer = append(resp.Answer, &dns.SOA{Hdr: hdr, Ns: "ns." + Zone, Mbox: "hostmaster." + Zone,
					Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 1})
			}
		case dns.TypeTXT:
			for _, v := range s.txtFor(name) {
				resp.Answer = append(resp.Answer, &dns.TXT{Hdr: hdr, Txt: []string{v}})
			}
		}
	}
	w.WriteMsg(resp)
}

// txtFor returns the TXT values of name.
func (s *DNSStub) txtFor(name string) []string {
	s.mu.Lock()
	vals := append([]string(nil), s.txt[name]...)
	s.mu.Unlock()
	b, _ := os.ReadFile(s.TXTFile)
	for line := range strings.Lines(string(b)) {
		if n, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && strings.EqualFold(n, name) {
			vals = append(vals, v)
		}
	}
	return vals
}

// update applies an RFC 2136 update signed with the test's TSIG key.
func (s *DNSStub) update(w dns.ResponseWriter, req, resp *dns.Msg) {
	if req.IsTsig() == nil || w.TsigStatus() != nil {
		resp.Rcode = dns.RcodeRefused
	} else {
		s.mu.Lock()
		for _, rr := range req.Ns {
			h := rr.Header()
			name := strings.ToLower(h.Name)
			switch {
			case h.Class == dns.ClassINET && h.Rrtype == dns.TypeTXT:
				s.txt[name] = append(s.txt[name], strings.Join(rr.(*dns.TXT).Txt, ""))
			case h.Class == dns.ClassNONE && h.Rrtype == dns.TypeTXT:
				v := strings.Join(rr.(*dns.TXT).Txt, "")
				var keep []string
				for _, old := range s.txt[name] {
					if old != v {
						keep = append(keep, old)
					}
				}
				s.txt[name] = keep
			case h.Class == dns.ClassANY:
				delete(s.txt, name)
			}
		}
		s.mu.Unlock()
	}
	if t := req.IsTsig(); t != nil {
		resp.SetTsig(t.Hdr.Name, t.Algorithm, 300, int64(t.TimeSigned))
	}
	w.WriteMsg(resp)
}
