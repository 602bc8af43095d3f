package config

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr"
)

// The [tls] tables fill tlsmgr's options, key by key, with the defaults
// tlsmgr expects.
func TestTLSOptions(t *testing.T) {
	if c := Default(); c.TLSConfigured() {
		t.Error("the default configuration has certificates")
	}
	c := mustParse(t, `data-dir = "/srv/mg"
[tls]
certificate-file = "/c"
key-file = "/k"
ca-file = "/ca"
[tls.acme]
domains = ["mail.example.org"]
email = "pm@example.org"
staging = true
profile = "tlsserver"
ca-root = "/roots.pem"
challenges = ["tls-alpn-01"]
tls-alpn-address = "127.0.0.1:993"
dns-propagation-timeout = "0s"
on-demand = ["*.example.org"]
on-demand-per-day = 0
on-demand-max-certificates = 7
default-server-name = "imap.example.org"
[tls-file-checks]
key-file = ["-grdfil"]
`)
	if !c.TLSConfigured() {
		t.Fatal("not TLSConfigured")
	}
	o := c.TLSOptions()
	a := o.ACME
	if o.CertificateFile != "/c" || o.KeyFile != "/k" || o.CAFile != "/ca" {
		t.Errorf("files %q %q %q", o.CertificateFile, o.KeyFile, o.CAFile)
	}
	if !reflect.DeepEqual(o.FileChecks, tlsmgr.FileChecks{Key: []string{"-grdfil"}, Certificate: []string{}, CA: []string{}}) {
		t.Errorf("file checks %+v", o.FileChecks)
	}
	if a.Storage != "/srv/mg/acme" || a.Email != "pm@example.org" || !a.Staging || a.Profile != "tlsserver" || a.CARoot != "/roots.pem" {
		t.Errorf("acme %+v", a)
	}
	if a.DNSPropagationTimeout >= 0 || a.DNSResolvers != nil || a.DefaultServerName != "imap.example.org" {
		t.Errorf("propagation %v (\"0s\" is negative: skip), resolvers %v, default name %q", a.DNSPropagationTimeout, a.DNSResolvers, a.DefaultServerName)
	}
	if a.TLSALPNAddress != "127.0.0.1:993" || a.HTTPAddress != ":80" || !reflect.DeepEqual(a.Challenges, []string{"tls-alpn-01"}) {
		t.Errorf("challenges %v on %q and %q", a.Challenges, a.HTTPAddress, a.TLSALPNAddress)
	}
	if a.OnDemand == nil || a.OnDemand(context.Background(), "imap.example.org") != nil || a.OnDemand(context.Background(), "example.net") == nil {
		t.Error("on-demand is not the allow list")
	}
	// Left out, the default; 0, none (tlsmgr's negative); else as set.
	if want := (tlsmgr.OnDemandLimits{PerAddress: 2, PerDay: -1, MaxCertificates: 7}); a.OnDemandLimits != want {
		t.Errorf("on-demand limits %+v; want %+v", a.OnDemandLimits, want)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if d := Default().TLSOptions().ACME.DNSPropagationTimeout; d != 2*time.Minute {
		t.Errorf("default propagation timeout %v", d)
	}
}

// A [[server]] with its own pair gets options of its own, with [tls]'s
// CA file unless it names one; one without keeps [tls]'s.
func TestServerTLSOptions(t *testing.T) {
	c := mustParse(t, `[tls]
certificate-file = "/c"
key-file = "/k"
ca-file = "/ca"
[[server]]
address = "127.0.0.1:1"
[[server]]
address = "127.0.0.1:2"
certificate-file = "/c2"
key-file = "/k2"
[[server]]
address = "127.0.0.1:3"
certificate-file = "/c3"
key-file = "/k3"
ca-file = "/ca3"
`)
	if _, ok := c.ServerTLSOptions(c.Servers[0]); ok {
		t.Error("a [[server]] without files has options of its own")
	}
	for i, want := range [][3]string{1: {"/c2", "/k2", "/ca"}, 2: {"/c3", "/k3", "/ca3"}} {
		if i == 0 {
			continue
		}
		o, ok := c.ServerTLSOptions(c.Servers[i])
		if got := [3]string{o.CertificateFile, o.KeyFile, o.CAFile}; !ok || got != want || o.ACME.Domains != nil {
			t.Errorf("server %d: %v %v, ACME %v", i, ok, got, o.ACME.Domains)
		}
	}
}
