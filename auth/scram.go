package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/xdg-go/scram"
)

// scramServer is the server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS
// (RFC 5802, RFC 7677) over xdg-go/scram's conversation:
//
//   - the client-first message names the user; a blocked one (the
//     Attempt refuses it) still gets its real salt and iteration count,
//     so that a block does not tell whether the name exists, and fails
//     at the proof whatever the password;
//   - a user without SCRAM keys (unknown, locked, or stored with a bcrypt
//     or other hash) gets a made-up salt derived from the name with
//     SASLOptions.MockSaltKey, so that the exchange looks the same as
//     for a real user, and fails at the proof, as a wrong password does;
//   - -PLUS requires the channel binding the client names in its gs2
//     header: tls-server-end-point (RFC 5929) or tls-exporter (RFC 9266);
//     plain SCRAM-SHA-256 refuses a client that says it supports channel
//     binding ("y") while -PLUS was advertised, a downgrade.
//   - the server-final message (v=...) is sent as a last challenge, which
//     the client answers with an empty response (RFC 3501, section 6.2.2).
type scramServer struct {
	ctx    context.Context
	s      *SASLServer
	opts   *SASLOptions
	conn   Conn
	plus   bool
	att    *Attempt
	conv   *scram.ServerConversation
	keyErr error // why the user has no usable keys; nil when it has
	step   int
}

func (o *SASLOptions) newSCRAMServer(ctx context.Context, s *SASLServer, c Conn, att *Attempt) *scramServer {
	return &scramServer{ctx: ctx, s: s, opts: o, conn: c, plus: s.mech == MechSCRAMPlus, att: att}
}

// Next implements sasl.Server.
func (m *scramServer) Next(response []byte) ([]byte, bool, error) {
	switch m.step {
	case 0:
		if response == nil {
			return []byte{}, false, nil // no initial response: an empty challenge asks for it
		}
		m.step = 1
		return m.first(string(response))
	case 1:
		m.step = 2
		return m.final(string(response))
	case 2:
		m.step = 3
		if len(response) != 0 {
			return nil, true, fmt.Errorf("%w: %s: want an empty response after the server's final message", ErrMalformedResponse, m.s.mech)
		}
		return nil, true, nil
	}
	return nil, true, fmt.Errorf("%w: %s: the exchange has ended", ErrMalformedResponse, m.s.mech)
}

// first handles the client-first message.
func (m *scramServer) first(msg string) ([]byte, bool, error) {
	flag, _, _ := strings.Cut(msg, ",")
	bindings := channelBindings(m.conn)
	var conv *scram.ServerConversation
	srv, err := scram.SHA256.NewServer(m.lookup)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s: %v", ErrUnavailable, m.s.mech, err)
	}
	switch {
	case m.plus:
		if !strings.HasPrefix(flag, "p=") {
			return nil, true, fmt.Errorf("%w: %s: the client did not ask for channel binding", ErrMalformedResponse, m.s.mech)
		}
		cb, ok := bindings[scram.ChannelBindingType(strings.TrimPrefix(flag, "p="))]
		if !ok {
			return nil, true, fmt.Errorf("%w: %s: unsupported channel binding %q (this connection has %s)",
				ErrMalformedResponse, m.s.mech, strings.TrimPrefix(flag, "p="), bindingNames(bindings))
		}
		conv = srv.NewConversationWithChannelBindingRequired(cb)
	case strings.HasPrefix(flag, "p="):
		return nil, true, fmt.Errorf("%w: %s: channel binding needs %s", ErrMalformedResponse, m.s.mech, MechSCRAMPlus)
	case slices.Contains(m.conn.Advertised, MechSCRAMPlus) && len(bindings) > 0:
		// -PLUS was offered: a client that supports channel binding
		// but did not see it ("y") was downgraded on the way.
		for _, cb := range bindings {
			conv = srv.NewConversationWithChannelBinding(cb)
			break
		}
	default:
		conv = srv.NewConversation()
	}
	m.conv = conv
	challenge, err := conv.Step(msg)
	if err != nil {
		if m.keyErr != nil && Unavailable(m.keyErr) {
			return nil, true, m.keyErr
		}
		return nil, true, fmt.Errorf("%w: %s: %v", ErrMalformedResponse, m.s.mech, err)
	}
	if z := conv.AuthzID(); z != "" && z != conv.Username() {
		m.s.checked = true
		return nil, true, fmt.Errorf("%s: authorization identity %q differs from authentication identity %q: %w",
			m.s.mech, z, conv.Username(), ErrAuthzidNotAllowed)
	}
	return []byte(challenge), false, nil
}

// lookup is the conversation's credential lookup: the throttle first,
// then the user's keys, or made-up ones. A blocked user's salt and
// iteration count are the real ones, but with keys no proof matches.
func (m *scramServer) lookup(name string) (scram.StoredCredentials, error) {
	m.s.checked = true
	blocked := m.att.Begin(name)
	if m.opts.SCRAM == nil {
		m.keyErr = fmt.Errorf("%w: no SCRAM keys are stored anywhere", ErrBadCredentials)
		if blocked != nil {
			m.keyErr = blocked
		}
		return m.opts.mockSCRAMCredentials(name), nil
	}
	k, err := m.opts.SCRAM.SCRAMKeys(m.ctx, name)
	switch {
	case blocked != nil:
		m.keyErr = blocked
		if err != nil {
			return m.opts.mockSCRAMCredentials(name), nil
		}
		return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(k.Salt), Iters: k.Iterations},
			StoredKey: randomKey(), ServerKey: randomKey()}, nil
	case err != nil:
		m.keyErr = err
		if Unavailable(err) {
			return scram.StoredCredentials{}, err
		}
		return m.opts.mockSCRAMCredentials(name), nil
	}
	return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(k.Salt), Iters: k.Iterations},
		StoredKey: k.StoredKey, ServerKey: k.ServerKey}, nil
}

// final handles the client-final message: the proof.
func (m *scramServer) final(msg string) ([]byte, bool, error) {
	verifier, err := m.conv.Step(msg)
	switch {
	case m.keyErr != nil:
		return nil, true, m.keyErr
	case err != nil && strings.Contains(verifier, "channel-binding"):
		return nil, true, fmt.Errorf("%w: %s: %v", ErrBadCredentials, m.s.mech, err)
	case err != nil && verifier == scram.ErrInvalidProof:
		return nil, true, fmt.Errorf("%w: %s: wrong password", ErrBadCredentials, m.s.mech)
	case err != nil:
		return nil, true, fmt.Errorf("%w: %s: %v", ErrMalformedResponse, m.s.mech, err)
	case !m.conv.Valid():
		return nil, true, fmt.Errorf("%w: %s: proof not accepted", ErrBadCredentials, m.s.mech)
	}
	if m.opts.Users == nil {
		return nil, true, fmt.Errorf("%w: %s: no user database to name the user", ErrUnavailable, m.s.mech)
	}
	if err := m.s.identified(m.ctx, m.opts.Users, m.conv.Username()); err != nil {
		return nil, true, err
	}
	return []byte(verifier), false, nil
}

// processMockSaltKey keys the made-up salts when SASLOptions has no
// MockSaltKey: drawn at start, so that a name's made-up salt is stable
// only within the process.
var processMockSaltKey = randomKey()

// mockSCRAMCredentials are credentials no password matches, with a salt
// that depends only on the name and the mock salt key.
func (o *SASLOptions) mockSCRAMCredentials(name string) scram.StoredCredentials {
	key := o.MockSaltKey
	if len(key) == 0 {
		key = processMockSaltKey
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(name))
	salt := m.Sum(nil)[:16]
	return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: SCRAMIterations},
		StoredKey: randomKey(), ServerKey: randomKey()}
}

// randomKey returns 32 random bytes: a key no password derives.
func randomKey() []byte {
	k := make([]byte, sha256.Size)
	rand.Read(k) // never fails (crypto/rand panics instead)
	return k
}

// channelBindings returns the channel bindings the connection offers:
// tls-exporter (RFC 9266) when the TLS version exports keying material
// safely (TLS 1.3, or 1.2 with extended master secret), and
// tls-server-end-point (RFC 5929) when the server's certificate is known
// and its signature's hash is defined for it.
func channelBindings(c Conn) map[scram.ChannelBindingType]scram.ChannelBinding {
	if c.TLS == nil || !c.TLS.HandshakeComplete {
		return nil
	}
	out := map[scram.ChannelBindingType]scram.ChannelBinding{}
	if cb, err := scram.NewTLSExporterBinding(c.TLS); err == nil {
		out[cb.Type] = cb
	}
	if data := serverEndPoint(c.ServerCertificate); data != nil {
		out[scram.ChannelBindingTLSServerEndpoint] = scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: data}
	}
	return out
}

// serverEndPoint is the tls-server-end-point binding of the server's own
// certificate (RFC 5929, section 4.1): its hash with the hash function of
// its signature, SHA-256 for MD5 and SHA-1; nil when that is not defined
// (Ed25519, for one).
func serverEndPoint(cert *x509.Certificate) []byte {
	if cert == nil {
		return nil
	}
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		return nil
	}
	h.Write(cert.Raw)
	return h.Sum(nil)
}

// bindingNames lists the channel bindings for a message.
func bindingNames(b map[scram.ChannelBindingType]scram.ChannelBinding) string {
	var names []string
	for t := range b {
		names = append(names, string(t))
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
