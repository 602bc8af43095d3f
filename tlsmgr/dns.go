package tlsmgr

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/caddyserver/certmagic"
	"github.com/libdns/libdns"
	"github.com/libdns/rfc2136"
)

// dnsProviders are the DNS-01 providers compiled in, with the settings
// each takes and those it requires.
var dnsProviders = map[string]struct{ known, required []string }{
	"rfc2136": {known: []string{"server", "key-name", "key", "key-alg"}, required: []string{"server"}},
	"exec":    {known: []string{"command"}, required: []string{"command"}},
}

// checkDNSProvider validates a provider name and its settings. option is
// the ACME option at fault: "dns-provider" for the name, "dns" for the
// settings (DNSSettings, the [tls.acme.dns] table).
func checkDNSProvider(name string, settings map[string]string) (option string, err error) {
	p, ok := dnsProviders[name]
	if !ok {
		if name == "" {
			return "dns-provider", fmt.Errorf("challenge %q needs dns-provider: \"rfc2136\" or \"exec\"", DNS01)
		}
		return "dns-provider", fmt.Errorf("dns-provider %q is unknown; want \"rfc2136\" or \"exec\"", name)
	}
	for k := range settings {
		if !slices.Contains(p.known, k) {
			return "dns", fmt.Errorf("dns-provider %q has no setting %q; it takes %s", name, k, strings.Join(p.known, ", "))
		}
	}
	for _, k := range p.required {
		if settings[k] == "" {
			return "dns", fmt.Errorf("dns-provider %q needs the setting %q", name, k)
		}
	}
	switch name {
	case "rfc2136":
		if (settings["key-name"] == "") != (settings["key"] == "") {
			return "dns", fmt.Errorf("dns-provider %q: key-name and key go together", name)
		}
		if k := settings["key"]; k != "" {
			if _, err := base64.StdEncoding.DecodeString(k); err != nil {
				return "dns", fmt.Errorf("dns-provider %q: key is not base64: %v", name, err)
			}
		}
	case "exec":
		if !filepath.IsAbs(settings["command"]) {
			return "dns", fmt.Errorf("dns-provider %q: command %q must be an absolute path", name, settings["command"])
		}
	}
	return "", nil
}

// newDNSProvider builds a validated provider.
func newDNSProvider(name string, settings map[string]string, log *slog.Logger) certmagic.DNSProvider {
	switch name {
	case "rfc2136":
		alg := settings["key-alg"]
		if alg == "" {
			alg = "hmac-sha256"
		}
		return &rfc2136.Provider{
			Server:  settings["server"],
			KeyName: settings["key-name"],
			Key:     settings["key"],
			KeyAlg:  alg,
		}
	default: // "exec"
		return &execProvider{command: settings["command"], log: log}
	}
}

// execProvider publishes DNS-01 records through a hook program, for DNS
// hosts that no compiled-in provider speaks to. See
// ACMEOptions.DNSSettings for its arguments.
type execProvider struct {
	command string
	log     *slog.Logger
}

// AppendRecords implements libdns.RecordAppender: "present".
func (p *execProvider) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, r := range recs {
		if err := p.run(ctx, "present", zone, r.RR()); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// DeleteRecords implements libdns.RecordDeleter: "cleanup".
func (p *execProvider) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, r := range recs {
		if err := p.run(ctx, "cleanup", zone, r.RR()); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// run runs the hook once and reports its output when it fails.
func (p *execProvider) run(ctx context.Context, action, zone string, rr libdns.RR) error {
	fqdn := libdns.AbsoluteName(rr.Name, zone)
	if !strings.HasSuffix(fqdn, ".") {
		fqdn += "."
	}
	cmd := exec.CommandContext(ctx, p.command, action, fqdn, rr.Data)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 512 {
			msg = msg[:512] + "..."
		}
		return fmt.Errorf("dns hook %s %s %s: %w: %s", p.command, action, fqdn, err, msg)
	}
	p.log.Info("tls: dns hook ran", "command", p.command, "action", action, "fqdn", fqdn)
	return nil
}
