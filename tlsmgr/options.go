package tlsmgr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options configures a Manager. A certificate must come from somewhere:
// CertificateFile and KeyFile, or ACME with Domains or OnDemand, or both.
type Options struct {
	// CertificateFile is a PEM certificate chain, leaf first; it needs
	// KeyFile ([tls] certificate-file).
	CertificateFile string
	// KeyFile is the PEM private key of CertificateFile ([tls] key-file).
	KeyFile string
	// CAFile is a PEM bundle of certificate authorities that sign client
	// certificates ([tls] ca-file). When set, clients may present a
	// certificate, which is verified against it (for SASL EXTERNAL); a
	// client without one is still accepted.
	CAFile string
	// FileChecks are the safety checks on the three files above.
	FileChecks FileChecks
	// ACME obtains and renews certificates automatically.
	ACME ACMEOptions
	// Logger receives reloads, refusals and certmagic's own logs; nil is
	// slog.Default().
	Logger *slog.Logger

	// onEvent, for tests, sees every certmagic event after it is logged.
	onEvent func(event string, data map[string]any)
	// onReload, for tests, sees the outcome of every reload of the files.
	onReload func(err error)
	// watchCheckEvery, for tests, replaces watchCheckEvery.
	watchCheckEvery time.Duration
}

// FileChecks are the [tls-file-checks] lists, as ParseChecks reads them.
// A nil list keeps the file's default (DefaultKeyChecks,
// DefaultCertificateChecks, DefaultCAChecks).
type FileChecks struct {
	Key         []string // [tls-file-checks] key-file
	Certificate []string // [tls-file-checks] cert-file
	CA          []string // [tls-file-checks] ca-file
}

// The challenge types of ACMEOptions.Challenges.
const (
	HTTP01    = "http-01"     // a file served over HTTP on port 80
	TLSALPN01 = "tls-alpn-01" // a certificate served over TLS on port 443
	DNS01     = "dns-01"      // a TXT record at _acme-challenge.<name>
)

// The ACME directories of Let's Encrypt.
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// ACMEOptions configures automatic certificates ([tls.acme]). ACME is on
// when Domains or OnDemand is set.
type ACMEOptions struct {
	// Domains are the names to obtain and renew certificates for.
	Domains []string
	// Email is the account's contact address. It is required: with it,
	// the certificate authority's terms of service count as accepted, and
	// certmagic never asks on standard input.
	Email string
	// CA is the ACME directory URL; "" is Let's Encrypt, or its staging
	// directory when Staging is set.
	CA string
	// Staging selects Let's Encrypt's staging directory, whose
	// certificates no client trusts, for trying a setup out.
	Staging bool
	// CARoot is a PEM file of roots trusted for the ACME server's own
	// HTTPS, for private CAs and tests; "" is the system's roots.
	CARoot string
	// Profile asks the CA for a certificate profile; "" is its default.
	Profile string
	// Storage is the directory for the account, keys and certificates;
	// required (the gateway passes <data-dir>/acme).
	Storage string
	// Challenges are the challenge types to answer; nil is HTTP01 and
	// TLSALPN01. DNS01 cannot be combined with the others: certmagic
	// answers only DNS-01 when it is set.
	Challenges []string
	// HTTPAddress is where the HTTP-01 responder listens while a
	// challenge is open; "" is ":80". The CA always connects to port 80:
	// another port needs a forward from 80. If the address is already
	// taken (by an HTTP server built on HTTPChallengeHandler), that server
	// is assumed to answer.
	HTTPAddress string
	// TLSALPNAddress is where the TLS-ALPN-01 responder listens while a
	// challenge is open; "" is ":443". The CA always connects to port 443.
	// If a listener using a TLSConfig of this Manager already holds the
	// address (an implicit-TLS listener on 443, or one that 443 is
	// forwarded to), that listener answers. With both HTTP01 and
	// TLSALPN01, the two addresses must have the same host part.
	TLSALPNAddress string
	// DNSProvider names the DNS-01 provider: "rfc2136" (dynamic DNS
	// updates, RFC 2136, as BIND, Knot and PowerDNS take them) or "exec"
	// (a hook program); see DNSSettings.
	DNSProvider string
	// DNSSettings are the provider's settings.
	//
	// rfc2136: "server" (host:port of the primary name server, required),
	// "key-name", "key" (base64 TSIG secret) and "key-alg" (default
	// "hmac-sha256"); key-name and key go together.
	//
	// exec: "command" (the program, required). It runs as
	//
	//	command present <fqdn> <value>
	//	command cleanup <fqdn> <value>
	//
	// where fqdn is the TXT record's name with a trailing dot
	// ("_acme-challenge.mail.example.org.") and value its text. It must
	// exit 0 once the record is published (present) or removed (cleanup).
	DNSSettings map[string]string
	// DNSResolvers are the DNS servers (host:port) used to find a name's
	// zone and to check that the TXT record is visible; nil is the
	// system's.
	DNSResolvers []string
	// DNSPropagationTimeout bounds the wait for the TXT record to appear
	// on the zone's authoritative servers; 0 is two minutes, a negative
	// value skips the check.
	DNSPropagationTimeout time.Duration
	// DefaultServerName is the name whose certificate clients that send
	// no server name (SNI) get; "" is the first of Domains. It is also
	// served to clients asking for a name that has no certificate.
	DefaultServerName string
	// OnDemand, when set, obtains a certificate during the handshake for
	// a server name that has none, if OnDemand(ctx, name) returns nil.
	// AllowList builds one from the names a configuration lists.
	OnDemand func(ctx context.Context, name string) error
	// OnDemandLimits bound the new names OnDemand may let through.
	OnDemandLimits OnDemandLimits
}

// enabled reports whether ACME is on.
func (a *ACMEOptions) enabled() bool { return len(a.Domains) > 0 || a.OnDemand != nil }

// settings are Options after validation and defaults.
type settings struct {
	keyChecks, certChecks, caChecks Checks

	acme        bool
	http01      bool
	tlsALPN01   bool
	dns01       bool
	ca          string
	listenHost  string
	httpPort    int
	tlsALPNPort int
	defaultName string
}

// OptionError is an option that Validate (or New) refuses. A program
// reading the options from a file finds in Option the key to point at.
type OptionError struct {
	// Option names the option as mailgate's configuration does, relative
	// to its [tls] table: "certificate-file", "key-file",
	// "tls-file-checks.key-file", "acme.email", "acme.challenges",
	// "acme.dns" (DNSSettings)... "" for no option in particular.
	Option string
	// Err says what is wrong.
	Err error
}

// Error writes the problem, after "acme: " for an ACME option and
// "tls-file-checks NAME: " for a file check list.
func (e *OptionError) Error() string {
	switch section, name, _ := strings.Cut(e.Option, "."); section {
	case "acme":
		return "acme: " + e.Err.Error()
	case "tls-file-checks":
		return "tls-file-checks " + name + ": " + e.Err.Error()
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *OptionError) Unwrap() error { return e.Err }

// Validate checks the options without touching any file or network, so
// that a configuration can be checked before it is used. New runs it too.
// Each problem is an *OptionError; several are joined (errors.Join).
func (o *Options) Validate() error {
	_, err := o.resolve()
	return err
}

// resolve validates the options and works out their defaults.
func (o *Options) resolve() (settings, error) {
	var s settings
	var errs []error
	bad := func(option, format string, args ...any) {
		errs = append(errs, &OptionError{Option: option, Err: fmt.Errorf(format, args...)})
	}

	switch {
	case o.CertificateFile != "" && o.KeyFile == "":
		bad("certificate-file", "certificate-file and key-file go together: set both or neither")
	case o.KeyFile != "" && o.CertificateFile == "":
		bad("key-file", "certificate-file and key-file go together: set both or neither")
	}
	if o.CertificateFile == "" && o.KeyFile == "" && !o.ACME.enabled() {
		bad("", "no certificate: set certificate-file and key-file, or ACME domains")
	}
	for _, l := range []struct {
		name string
		list []string
		def  Checks
		out  *Checks
	}{
		{"key-file", o.FileChecks.Key, DefaultKeyChecks, &s.keyChecks},
		{"cert-file", o.FileChecks.Certificate, DefaultCertificateChecks, &s.certChecks},
		{"ca-file", o.FileChecks.CA, DefaultCAChecks, &s.caChecks},
	} {
		c, err := ParseChecks(l.list, l.def)
		if err != nil {
			bad("tls-file-checks."+l.name, "%v", err)
		}
		*l.out = c
	}
	if o.ACME.enabled() {
		s.acme = true
		errs = append(errs, o.ACME.resolve(&s)...)
	}
	return s, errors.Join(errs...)
}

// resolve validates the ACME options into s.
func (a *ACMEOptions) resolve(s *settings) []error {
	var errs []error
	bad := func(option, format string, args ...any) {
		errs = append(errs, &OptionError{Option: "acme." + option, Err: fmt.Errorf(format, args...)})
	}

	if a.Email == "" {
		bad("email", "email is required (the account's contact address)")
	} else if !strings.Contains(a.Email, "@") || strings.ContainsAny(a.Email, " <>") {
		bad("email", "email %q is not an email address", a.Email)
	}
	if a.Storage == "" {
		bad("storage", "storage is required (a directory for the account and certificates)")
	}
	switch {
	case a.CA != "" && a.Staging:
		bad("staging", "ca and staging exclude each other: staging selects Let's Encrypt's staging directory")
	case a.CA != "":
		if u, err := url.Parse(a.CA); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("ca", "ca %q is not an https ACME directory URL such as %q", a.CA, LetsEncrypt)
		}
		s.ca = a.CA
	case a.Staging:
		s.ca = LetsEncryptStaging
	default:
		s.ca = LetsEncrypt
	}

	challenges := a.Challenges
	if challenges == nil {
		challenges = []string{HTTP01, TLSALPN01}
	}
	if len(challenges) == 0 {
		bad("challenges", "challenges is empty; want any of %q, %q or %q", HTTP01, TLSALPN01, DNS01)
	}
	for _, c := range challenges {
		switch c {
		case HTTP01:
			s.http01 = true
		case TLSALPN01:
			s.tlsALPN01 = true
		case DNS01:
			s.dns01 = true
		default:
			bad("challenges", "challenge %q is unknown; want %q, %q or %q", c, HTTP01, TLSALPN01, DNS01)
		}
	}
	if s.dns01 && (s.http01 || s.tlsALPN01) {
		bad("challenges", "challenge %q cannot be combined with %q or %q: with DNS-01 configured, only DNS-01 is answered", DNS01, HTTP01, TLSALPN01)
	}
	if s.dns01 {
		if option, err := checkDNSProvider(a.DNSProvider, a.DNSSettings); err != nil {
			bad(option, "%v", err)
		}
	} else if a.DNSProvider != "" {
		bad("dns-provider", "dns-provider %q is set but challenges does not list %q", a.DNSProvider, DNS01)
	}

	var httpHost, alpnHost string
	if s.http01 {
		httpHost, s.httpPort = a.address(a.HTTPAddress, ":80", "http-address", bad)
		s.listenHost = httpHost
	}
	if s.tlsALPN01 {
		alpnHost, s.tlsALPNPort = a.address(a.TLSALPNAddress, ":443", "tls-alpn-address", bad)
		s.listenHost = alpnHost
	}
	if s.http01 && s.tlsALPN01 && httpHost != alpnHost {
		bad("tls-alpn-address", "http-address %q and tls-alpn-address %q must listen on the same host", a.HTTPAddress, a.TLSALPNAddress)
	}

	for _, d := range a.Domains {
		if err := checkDomain(d); err != nil {
			bad("domains", "domain %q: %v", d, err)
		} else if strings.HasPrefix(d, "*.") && !s.dns01 {
			bad("domains", "domain %q: a wildcard name needs the %q challenge", d, DNS01)
		}
	}
	s.defaultName = a.DefaultServerName
	if s.defaultName == "" && len(a.Domains) > 0 {
		s.defaultName = a.Domains[0]
	}
	if a.DefaultServerName != "" { // Domains[0] was checked above
		if err := checkDomain(s.defaultName); err != nil {
			bad("default-server-name", "default-server-name %q: %v", s.defaultName, err)
		}
	}
	return errs
}

// address splits a listen address and defaults it.
func (a *ACMEOptions) address(addr, def, key string, bad func(string, string, ...any)) (string, int) {
	if addr == "" {
		addr = def
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		bad(key, "%s %q: %v", key, addr, err)
		return "", 0
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		bad(key, "%s %q: the port must be a number from 1 to 65535", key, addr)
		return "", 0
	}
	return host, n
}

// checkDomain accepts a DNS name, possibly a wildcard one.
func checkDomain(d string) error {
	name := strings.TrimPrefix(d, "*.")
	if name == "" || len(d) > 253 || strings.HasSuffix(name, ".") || !strings.Contains(name, ".") && name != "localhost" {
		return errors.New("not a fully qualified domain name")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("label %q is not valid", label)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("label %q is not valid: use letters, digits and hyphens (IDNA names in their xn-- form)", label)
			}
		}
	}
	return nil
}

// AllowList returns an on-demand decision function that allows the names
// listed and, for an entry "*.example.org", every name one label below
// example.org. Case does not matter.
func AllowList(names []string) func(ctx context.Context, name string) error {
	allowed := make([]string, len(names))
	for i, n := range names {
		allowed[i] = strings.ToLower(n)
	}
	return func(_ context.Context, name string) error {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if slices.Contains(allowed, name) {
			return nil
		}
		if _, parent, ok := strings.Cut(name, "."); ok && slices.Contains(allowed, "*."+parent) {
			return nil
		}
		return fmt.Errorf("%q is not in the on-demand allow list", name)
	}
}
