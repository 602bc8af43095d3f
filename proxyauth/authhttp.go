package proxyauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailgate/mailgate/auth"
)

// AuthOptions configure an AuthHTTP.
type AuthOptions struct {
	// Owners says which node a user's sessions go to. Required.
	Owners *Owners
	// Authenticator checks the credentials: the gateway's [auth] chain.
	// Required.
	Authenticator auth.Authenticator
	// Throttle is the gateway's one login throttle, fed with the
	// Client-IP that nginx passes; nil throttles nothing.
	Throttle *auth.Throttle
	// Secret, when set, must arrive in the X-Auth-Key header (nginx's
	// auth_http_header); requests without it get 403.
	Secret string
	// CheckTimeout bounds a TCP connection to the owner node, made
	// before answering OK, so that the users of a node that is down
	// hear so in a clean NO instead of nginx's "internal server error";
	// 0 skips the check.
	CheckTimeout time.Duration
	// MaxAttempts is the Auth-Login-Attempt from which a failure goes
	// back without Auth-Wait, so that nginx closes the connection; 0
	// means 5.
	MaxAttempts int
	// Logger receives a line per answer; nil means slog.Default().
	Logger *slog.Logger
}

// AuthHTTP answers nginx's mail auth_http requests (ngx_mail_auth_http
// module): one GET per login, the credentials and the client in headers,
// and the answer in Auth-Status, with Auth-Server and Auth-Port of the
// node that owns the user on success, or the text nginx sends the client
// and Auth-Wait on failure. Its zero value is not usable; see New.
type AuthHTTP struct {
	opts AuthOptions
	log  *slog.Logger
}

// NewAuthHTTP returns an auth_http handler.
func NewAuthHTTP(opts *AuthOptions) *AuthHTTP {
	a := &AuthHTTP{opts: *opts, log: opts.Logger}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.opts.MaxAttempts <= 0 {
		a.opts.MaxAttempts = 5
	}
	return a
}

// The Auth-Status texts; nginx prefixes them with "tag NO" (IMAP) or
// "-ERR" (POP3).
const (
	statusInvalid     = "Invalid login or password"
	statusTemporary   = "Temporary server problem, try again later"
	statusUnsupported = "Authentication method not supported"
)

// Request is one auth_http request, as nginx sends it.
type Request struct {
	Method   string     // Auth-Method: "plain", "login", "apop", "cram-md5", "external", "none"
	User     string     // Auth-User, unescaped
	Password string     // Auth-Pass, unescaped
	Protocol string     // Auth-Protocol: "imap", "pop3", "smtp"
	Attempt  int        // Auth-Login-Attempt, from 1
	Client   netip.Addr // Client-IP
}

// ParseRequest reads the headers of an auth_http request. nginx escapes
// Auth-User and Auth-Pass as URL components (since 1.5.6).
func ParseRequest(h http.Header) (Request, error) {
	var r Request
	var err error
	r.Method = strings.ToLower(strings.TrimSpace(h.Get("Auth-Method")))
	if r.Method == "" {
		return r, errors.New("no Auth-Method")
	}
	if r.User, err = url.PathUnescape(h.Get("Auth-User")); err != nil {
		return r, fmt.Errorf("Auth-User: %w", err)
	}
	if r.Password, err = url.PathUnescape(h.Get("Auth-Pass")); err != nil {
		return r, fmt.Errorf("Auth-Pass: %w", err)
	}
	r.Protocol = strings.ToLower(strings.TrimSpace(h.Get("Auth-Protocol")))
	r.Attempt = 1
	if s := strings.TrimSpace(h.Get("Auth-Login-Attempt")); s != "" {
		if r.Attempt, err = strconv.Atoi(s); err != nil || r.Attempt < 1 {
			return r, fmt.Errorf("Auth-Login-Attempt %q is not a positive number", s)
		}
	}
	ip := strings.TrimSpace(h.Get("Client-IP"))
	if r.Client, err = netip.ParseAddr(ip); err != nil {
		return r, fmt.Errorf("Client-IP %q: %w", ip, err)
	}
	r.Client = r.Client.Unmap()
	return r, nil
}

// ServeHTTP implements http.Handler.
func (a *AuthHTTP) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if a.opts.Secret != "" && subtle.ConstantTimeCompare([]byte(hr.Header.Get("X-Auth-Key")), []byte(a.opts.Secret)) != 1 {
		a.log.Warn("proxy-auth: request without the right X-Auth-Key", "remote", hr.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	r, err := ParseRequest(hr.Header)
	if err != nil {
		a.log.Warn("proxy-auth: malformed request", "remote", hr.RemoteAddr, "err", err)
		fail(w, statusTemporary, 0, false)
		return
	}
	log := a.log.With("user", r.User, "client", r.Client.String(), "protocol", r.Protocol, "attempt", r.Attempt)
	last := r.Attempt >= a.opts.MaxAttempts
	switch {
	case r.Method != "plain" && r.Method != "login":
		log.Info("proxy-auth: refused", "reason", "method "+r.Method+" is not supported")
		fail(w, statusUnsupported, 0, true)
		return
	case r.Protocol != "imap" && r.Protocol != "pop3":
		log.Info("proxy-auth: refused", "reason", "protocol "+r.Protocol+" is not served")
		fail(w, "Protocol not served", 0, true)
		return
	}
	attempt := &auth.Attempt{Authenticator: a.opts.Authenticator, Throttle: a.opts.Throttle, Addr: r.Client}
	u, err := attempt.Authenticate(hr.Context(), r.User, r.Password)
	delay := attempt.Finish(err)
	switch {
	case err != nil && auth.Unavailable(err):
		log.Warn("proxy-auth: refused", "reason", "password back-end unavailable", "err", err)
		fail(w, statusTemporary, 3*time.Second, last)
		return
	case err != nil:
		log.Info("proxy-auth: refused", "reason", err.Error())
		fail(w, statusInvalid, delay, last)
		return
	}
	node, ok := a.opts.Owners.Owner(u.Name)
	if !ok {
		log.Error("proxy-auth: no node owns this user; add a pattern, an owners file line or a node with hash = true")
		fail(w, statusTemporary, 0, true)
		return
	}
	addr := node.IMAP
	if r.Protocol == "pop3" {
		addr = node.POP3
	}
	if !addr.IsValid() {
		log.Error("proxy-auth: the owner node does not serve this protocol", "node", node.Name)
		fail(w, statusTemporary, 0, true)
		return
	}
	if a.opts.CheckTimeout > 0 {
		if err := check(hr.Context(), addr, a.opts.CheckTimeout); err != nil {
			log.Warn("proxy-auth: the owner node is unreachable", "node", node.Name, "address", addr.String(), "err", err)
			text := "Mail server unavailable, try again later"
			if r.Protocol == "imap" {
				text = "[UNAVAILABLE] " + text // RFC 5530, section 3
			}
			fail(w, text, time.Second, last)
			return
		}
	}
	log.Info("proxy-auth: login routed", "node", node.Name, "server", addr.String())
	h := w.Header()
	h.Set("Auth-Status", "OK")
	h.Set("Auth-Server", addr.Addr().String())
	h.Set("Auth-Port", strconv.Itoa(int(addr.Port())))
	w.WriteHeader(http.StatusOK)
}

// fail answers a refused login: text goes to the client; with more set,
// Auth-Wait (whole seconds, at least one) asks nginx to wait and let the
// client try again, and without it nginx closes the connection.
func fail(w http.ResponseWriter, text string, wait time.Duration, last bool) {
	h := w.Header()
	h.Set("Auth-Status", text)
	if !last {
		secs := int((wait + time.Second - 1) / time.Second)
		h.Set("Auth-Wait", strconv.Itoa(max(1, secs)))
	}
	w.WriteHeader(http.StatusOK)
}

// check connects to addr and hangs up.
func check(ctx context.Context, addr netip.AddrPort, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return err
	}
	return c.Close()
}
