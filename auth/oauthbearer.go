package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TokenVerifier checks an OAuth 2.0 bearer token (OAUTHBEARER).
type TokenVerifier interface {
	// Verify returns the user name the token was issued for. A token
	// that is invalid, expired or for another service gives an error
	// wrapping ErrBadCredentials; a verifier that cannot answer (the key
	// set cannot be fetched, the introspection command failed to run),
	// ErrUnavailable.
	Verify(ctx context.Context, token string) (user string, err error)
}

// oauthBearerMessage is a parsed OAUTHBEARER client response (RFC 7628,
// section 3.1).
type oauthBearerMessage struct {
	authzid string
	host    string
	port    int
	token   string
}

// parseOAuthBearer parses an OAUTHBEARER client response:
//
//	gs2-header %x01 *(key "=" value %x01) %x01
//
// with gs2-header "n,[a=authzid]," or "y,[a=authzid],". Channel binding
// ("p=") is not defined for OAUTHBEARER. The auth pair must hold a
// Bearer token (RFC 6750, section 2.1); other pairs are ignored, as the
// RFC asks.
func parseOAuthBearer(msg string) (oauthBearerMessage, error) {
	var m oauthBearerMessage
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok || (flag != "n" && flag != "y") {
		return m, errors.New(`gs2 header must start with "n," or "y,"`)
	}
	authzid, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return m, errors.New("gs2 header has no second ','")
	}
	if authzid != "" {
		name, ok := strings.CutPrefix(authzid, "a=")
		if !ok {
			return m, errors.New(`authorization identity must start with "a="`)
		}
		if m.authzid, ok = decodeSASLName(name); !ok || m.authzid == "" {
			return m, errors.New("malformed authorization identity")
		}
	}
	pairs, ok := strings.CutPrefix(rest, "\x01")
	if !ok {
		return m, errors.New("no separator after the gs2 header")
	}
	pairs, ok = strings.CutSuffix(pairs, "\x01")
	if !ok {
		return m, errors.New("the message does not end with two separators")
	}
	var kvs []string
	if pairs != "" {
		// Each pair ends with its own separator.
		if pairs, ok = strings.CutSuffix(pairs, "\x01"); !ok {
			return m, errors.New("the last key=value pair has no separator")
		}
		kvs = strings.Split(pairs, "\x01")
	}
	seen := map[string]bool{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return m, fmt.Errorf("malformed key=value pair")
		}
		if seen[k] {
			return m, fmt.Errorf("key %q given twice", k)
		}
		seen[k] = true
		for _, r := range v {
			if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
				return m, fmt.Errorf("control character in the value of %q", k)
			}
		}
		switch k {
		case "host":
			m.host = v
		case "port":
			p, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return m, errors.New("malformed port")
			}
			m.port = int(p)
		case "auth":
			scheme, token, ok := strings.Cut(v, " ")
			token = strings.TrimLeft(token, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return m, errors.New(`the auth value is not "Bearer <token>"`)
			}
			m.token = token
		}
	}
	if m.token == "" {
		return m, errors.New("no auth=Bearer token")
	}
	return m, nil
}

// decodeSASLName undoes the "=2C" and "=3D" escapes of a saslname
// (RFC 5802, section 5.1); ok is false for any other '='.
func decodeSASLName(s string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '=')
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		s = s[i+3:]
	}
}

// oauthBearerServer is the server side of OAUTHBEARER (RFC 7628). It is
// ours rather than go-sasl's, whose server indexes an empty client
// response after a failure and panics. A token that does not log in is
// answered with the RFC's JSON error as a challenge; whatever the client
// sends back (%x01, an empty response, anything) then ends the exchange
// with the failure.
type oauthBearerServer struct {
	ctx    context.Context
	s      *SASLServer
	opts   *SASLOptions
	att    *Attempt
	step   int
	failed error // the failure to report after the error challenge
}

func (o *SASLOptions) newOAuthBearerServer(ctx context.Context, s *SASLServer, att *Attempt) *oauthBearerServer {
	return &oauthBearerServer{ctx: ctx, s: s, opts: o, att: att}
}

// oauthBearerError is the JSON error challenge of RFC 7628, section 3.2.2.
type oauthBearerError struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
}

// Next implements sasl.Server.
func (m *oauthBearerServer) Next(response []byte) ([]byte, bool, error) {
	switch m.step {
	case 0:
		if response == nil {
			return []byte{}, false, nil
		}
		m.step = 1
		msg, err := parseOAuthBearer(string(response))
		if err != nil {
			return nil, true, fmt.Errorf("%w: OAUTHBEARER: %v", ErrMalformedResponse, err)
		}
		m.s.checked = true
		err = m.check(msg)
		if err == nil || Unavailable(err) || errors.Is(err, ErrBlocked) {
			return nil, true, err
		}
		m.failed = err
		blob, _ := json.Marshal(oauthBearerError{Status: "invalid_token", Schemes: "bearer"})
		return blob, false, nil
	case 1:
		m.step = 2
		return nil, true, m.failed
	}
	return nil, true, fmt.Errorf("%w: OAUTHBEARER: the exchange has ended", ErrMalformedResponse)
}

// check verifies the token and finds its user: the throttle first, with
// the authorization identity when the client gave one.
func (m *oauthBearerServer) check(msg oauthBearerMessage) error {
	if err := m.att.Begin(msg.authzid); err != nil {
		return err
	}
	name, err := m.opts.Tokens.Verify(m.ctx, msg.token)
	if err != nil {
		return fmt.Errorf("OAUTHBEARER: %w", err)
	}
	if err := m.att.Begin(name); err != nil {
		return err
	}
	if msg.authzid != "" && msg.authzid != name {
		return fmt.Errorf("OAUTHBEARER: authorization identity %q differs from the token's user %q: %w", msg.authzid, name, ErrAuthzidNotAllowed)
	}
	return m.s.identified(m.ctx, m.opts.Users, name)
}
