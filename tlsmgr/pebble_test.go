package tlsmgr

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

func TestMain(m *testing.M) {
	// Pebble's VA otherwise sleeps up to 5 s before each validation; its
	// WFE otherwise rejects 5% of good nonces and reuses half the
	// authorizations (a renewal would then skip its challenge).
	os.Setenv("PEBBLE_VA_NOSLEEP", "1")
	os.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	os.Setenv("PEBBLE_AUTHZREUSE", "0")
	os.Exit(m.Run())
}

// pebble is an ACME server on loopback, in-process.
type pebble struct {
	directory string         // the ACME directory URL
	caRoot    string         // PEM file of the roots of its HTTPS, for ca-root
	roots     *x509.CertPool // the roots of the certificates it issues
	dns       *dnsStub       // where its VA resolves names
}

// startPebble starts Pebble whose VA validates HTTP-01 on httpPort and
// TLS-ALPN-01 on tlsPort of 127.0.0.1, resolving names through a stub.
func startPebble(t *testing.T, httpPort, tlsPort int) *pebble {
	t.Helper()
	stub := startDNSStub(t)
	logger := log.New(io.Discard, "", 0)
	if testing.Verbose() {
		logger = log.New(os.Stderr, "pebble ", 0)
	}
	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "the test profile"}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)
	validator := va.New(logger, httpPort, tlsPort, false, stub.addr, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)

	caRoot := filepath.Join(t.TempDir(), "pebble-https.pem")
	if err := os.WriteFile(caRoot, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	return &pebble{directory: srv.URL + wfe.DirectoryPath, caRoot: caRoot, roots: roots, dns: stub}
}

// freePort returns a loopback port that was free a moment ago, for
// the HTTP-01 responder that certmagic opens and closes by itself.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// testZone is the zone the stub is authoritative for.
const testZone = "example.org."

// dnsStub answers for testZone: every name is 127.0.0.1 (and has no
// AAAA record: Pebble asks AAAA first and dials only the first address),
// TXT records come from what was added through RFC 2136 updates or
// written to txtFile, and the zone has an SOA record.
type dnsStub struct {
	addr    string
	txtFile string // lines "<fqdn> <value>", as the exec hook writes them
	tsig    map[string]string

	mu  sync.Mutex
	txt map[string][]string // from updates, by lower-case fqdn
}

func startDNSStub(t *testing.T) *dnsStub {
	t.Helper()
	s := &dnsStub{
		txtFile: filepath.Join(t.TempDir(), "txt"),
		tsig:    map[string]string{"tlsmgr-test.": "c2VjcmV0IGZvciB0aGUgdGxzbWdyIHRlc3Rz"},
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
	s.addr = tcp.Addr().String()
	for _, srv := range []*dns.Server{
		{Listener: tcp, Handler: s, TsigSecret: s.tsig, MsgAcceptFunc: acceptUpdates},
		{PacketConn: udp, Handler: s, TsigSecret: s.tsig, MsgAcceptFunc: acceptUpdates},
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
func (s *dnsStub) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	if req.Opcode == dns.OpcodeUpdate {
		s.update(w, req, resp)
		return
	}
	for _, q := range req.Question {
		name := strings.ToLower(q.Name)
		if !dns.IsSubDomain(testZone, name) {
			resp.Rcode = dns.RcodeRefused
			continue
		}
		hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 1}
		switch q.Qtype {
		case dns.TypeA:
			resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
		case dns.TypeSOA:
			if name == testZone {
				resp.Answer = append(resp.Answer, &dns.SOA{Hdr: hdr, Ns: "ns." + testZone, Mbox: "hostmaster." + testZone,
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
func (s *dnsStub) txtFor(name string) []string {
	s.mu.Lock()
	vals := append([]string(nil), s.txt[name]...)
	s.mu.Unlock()
	b, _ := os.ReadFile(s.txtFile)
	for line := range strings.Lines(string(b)) {
		if n, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok && strings.EqualFold(n, name) {
			vals = append(vals, v)
		}
	}
	return vals
}

// update applies an RFC 2136 update signed with the test's TSIG key.
func (s *dnsStub) update(w dns.ResponseWriter, req, resp *dns.Msg) {
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
