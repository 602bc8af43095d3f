package auth

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IdentPreauth is preauth by the Identification Protocol (RFC 1413;
// preauth = "ident" or "ident://[host]:port"): the client's ident server
// is asked who owns the connection, and the user it names is logged in.
// Replies encrypted by pidentd are decrypted with the keys of KeyFile
// (see identdes.go); they name a uid, which LookupUID turns into a name.
//
// An encrypted reply is a bearer token: it crosses the network in the
// clear, and the client's pidentd gives one to any server its user
// connects to. pidentd made it for the administrator's records (idecrypt
// reads it back), and GNU imap4d checks only that it decrypts; mailgate
// also refuses one that is about other ports, one dated more than MaxSkew
// from now, one that names another server's address than this one's
// (or ServerAddrs), and one used before (Replies).
type IdentPreauth struct {
	// Host is the ident server to ask; "" asks the client's host, from
	// the server's own address, as the ident server expects.
	Host string
	// Port is the ident port, a number or a service name; "113" when "".
	Port string
	// KeyFile is the pidentd key file for encrypted replies; without it
	// an encrypted reply logs nobody in.
	KeyFile string
	// EncryptOnly refuses plain (unencrypted) replies.
	EncryptOnly bool
	// MaxSkew is how far the date in an encrypted reply may be from now,
	// either way; DefaultIdentMaxSkew when zero.
	MaxSkew time.Duration
	// ServerAddrs are addresses clients reach this server by besides the
	// connection's own local address (a public address forwarded to it
	// by NAT): an encrypted reply names the address its client connected
	// to, and one that names another is refused as made for another
	// server. Encrypted replies carry IPv4 addresses only, so a server
	// reached over IPv6 needs its IPv4 address here.
	ServerAddrs []netip.Addr
	// Replies remembers the encrypted replies used, so that each logs in
	// once; nil means one record for the whole process, in memory.
	Replies *IdentReplies
	// Timeout bounds the whole query; DefaultProgramTimeout when zero.
	Timeout time.Duration
	// Users finds the user named.
	Users Identifier
	// LookupUID names the owner of a uid, for encrypted replies;
	// os/user.LookupId when nil.
	LookupUID func(uid int) (string, error)
	// Logger hears of malformed and refused replies; slog.Default() when
	// nil.
	Logger *slog.Logger
}

// maxIdentReply bounds an ident reply line (RFC 1413 allows 1000
// characters).
const maxIdentReply = 1024

// DefaultIdentMaxSkew is how far the date of an encrypted ident reply
// may be from now: pidentd writes the client host's clock, which may
// differ from ours. Hosts that keep time by NTP differ by far less than
// a second, and hosts that do not drift by seconds a day; five minutes
// is what Kerberos allows between hosts for the same kind of check
// (clockskew). A reply is remembered for as long as its date passes
// (IdentReplies), so a replay within the window is refused too.
const DefaultIdentMaxSkew = 5 * time.Minute

// processIdentReplies is the record of IdentPreauths without Replies.
var processIdentReplies IdentReplies

// Preauthenticate implements Preauthenticator.
func (p *IdentPreauth) Preauthenticate(ctx context.Context, c PreauthConn, att *Attempt) (*User, error) {
	if !c.Client.IsValid() || !c.Server.IsValid() {
		return nil, fmt.Errorf("ident: %w: the connection has no IP addresses", ErrNoIdentity)
	}
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	reply, err := p.query(ctx, c)
	if err != nil {
		return nil, err
	}
	r, err := parseIdentReply(reply, c.Client.Port(), c.Server.Port())
	if err != nil {
		log.Info("auth: ident: malformed reply", "client", c.Client.String(), "reply", reply, "err", err)
		return nil, fmt.Errorf("ident: %w: malformed reply: %v", ErrNoIdentity, err)
	}
	if r.errorType != "" {
		return nil, fmt.Errorf("ident: %w: the ident server answered ERROR %s", ErrNoIdentity, r.errorType)
	}
	name := r.userID
	switch {
	case r.encrypted != "":
		if name, err = p.decrypt(r.encrypted, c, log); err != nil {
			return nil, err
		}
	case p.EncryptOnly:
		log.Warn("auth: ident: refusing an unencrypted reply (ident-encrypt-only)", "client", c.Client.String())
		return nil, fmt.Errorf("ident: %w: unencrypted reply refused (ident-encrypt-only)", ErrBadCredentials)
	case strings.EqualFold(r.opsys, "OTHER"):
		// RFC 1413: OTHER means the user-id is not a login name.
		return nil, fmt.Errorf("ident: %w: the reply's user-id %q is not a login name (operating system OTHER)", ErrNoIdentity, name)
	}
	return preauthUser(ctx, att, p.Users, name)
}

// query asks the ident server about connection c and returns its reply.
func (p *IdentPreauth) query(ctx context.Context, c PreauthConn) (string, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProgramTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := p.Port
	if port == "" {
		port = "113"
	}
	n, err := net.DefaultResolver.LookupPort(ctx, "tcp", port)
	if err != nil {
		return "", fmt.Errorf("ident: %w: port %q: %v", ErrUnavailable, port, err)
	}
	host := p.Host
	d := net.Dialer{}
	if host == "" {
		host = c.Client.Addr().Unmap().String()
		// The ident server looks the connection up by our address: ask
		// from the address the client connected to.
		d.LocalAddr = &net.TCPAddr{IP: c.Server.Addr().Unmap().AsSlice()}
	}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(n)))
	if err != nil {
		return "", fmt.Errorf("ident: %w: no ident server: %v", ErrNoIdentity, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// RFC 1413: "<port-on-server> , <port-on-client>", the server being
	// the ident server's host, that is the client's.
	if _, err := fmt.Fprintf(conn, "%d , %d\r\n", c.Client.Port(), c.Server.Port()); err != nil {
		return "", fmt.Errorf("ident: %w: %v", ErrNoIdentity, err)
	}
	line, err := bufio.NewReaderSize(io.LimitReader(conn, maxIdentReply), maxIdentReply).ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", fmt.Errorf("ident: %w: no reply: %v", ErrNoIdentity, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// decrypt turns an encrypted reply into a user name.
func (p *IdentPreauth) decrypt(text string, c PreauthConn, log *slog.Logger) (string, error) {
	if p.KeyFile == "" {
		log.Error("auth: ident: encrypted reply, but no ident-keyfile is configured", "client", c.Client.String())
		return "", fmt.Errorf("ident: %w: encrypted reply and no ident-keyfile", ErrNoIdentity)
	}
	keys, err := loadIdentKeys(p.KeyFile)
	if err != nil {
		return "", fmt.Errorf("ident: %w: %v", ErrUnavailable, err)
	}
	tok, err := decryptIdent(text, keys)
	if err != nil {
		log.Warn("auth: ident: encrypted reply refused", "client", c.Client.String(), "err", err)
		return "", fmt.Errorf("ident: %w: %v", ErrBadCredentials, err)
	}
	// The token must be about this connection, not replayed from another.
	if tok.clientPort != c.Client.Port() || tok.ourPort != c.Server.Port() {
		log.Warn("auth: ident: encrypted reply is about another connection", "client", c.Client.String(),
			"token_ports", fmt.Sprintf("%d,%d", tok.clientPort, tok.ourPort))
		return "", fmt.Errorf("ident: %w: the encrypted reply is about ports %d,%d, not this connection's",
			ErrBadCredentials, tok.clientPort, tok.ourPort)
	}
	skew := p.MaxSkew
	if skew <= 0 {
		skew = DefaultIdentMaxSkew
	}
	now := time.Now()
	if d := now.Sub(tok.date); d > skew || d < -skew {
		log.Warn("auth: ident: encrypted reply refused: its date is too far from now (a replay, or a clock off)", "client", c.Client.String(),
			"date", tok.date.UTC().Format(time.RFC3339), "max_skew", skew.String())
		return "", fmt.Errorf("ident: %w: the encrypted reply is dated %s, more than %v from now", ErrBadCredentials,
			tok.date.UTC().Format(time.RFC3339), skew)
	}
	if server := c.Server.Addr().Unmap(); tok.ourAddr != server && !slices.Contains(p.ServerAddrs, tok.ourAddr) {
		log.Warn("auth: ident: encrypted reply refused: it was made for a connection to another server (behind NAT, list our public address in ident-server-addresses)",
			"client", c.Client.String(), "server", server.String(), "token_server", tok.ourAddr.String())
		return "", fmt.Errorf("ident: %w: the encrypted reply is about a connection to %s, not to this server", ErrBadCredentials, tok.ourAddr)
	}
	if a := c.Client.Addr().Unmap(); a.Is4() && tok.clientAddr != a {
		log.Info("auth: ident: encrypted reply names another client address (NAT?)", "client", a.String(), "token", tok.clientAddr.String())
	}
	replies := p.Replies
	if replies == nil {
		replies = &processIdentReplies
	}
	var raw [identTokenSize]byte
	b, _ := base64.StdEncoding.DecodeString(text) // decryptIdent checked it
	copy(raw[:], b)
	if err := replies.use(raw, tok.date.Add(skew), now); errors.Is(err, errIdentReplayed) {
		log.Warn("auth: ident: encrypted reply refused: it was used before (a replay)", "client", c.Client.String(),
			"uid", tok.uid, "date", tok.date.UTC().Format(time.RFC3339))
		return "", fmt.Errorf("ident: %w: %v", ErrBadCredentials, err)
	} else if err != nil {
		log.Error("auth: ident: encrypted reply refused: it cannot be recorded as used", "err", err)
		return "", fmt.Errorf("ident: %w: %v", ErrUnavailable, err)
	}
	lookup := p.LookupUID
	if lookup == nil {
		lookup = func(uid int) (string, error) {
			u, err := user.LookupId(strconv.Itoa(uid))
			if err != nil {
				return "", err
			}
			return u.Username, nil
		}
	}
	name, err := lookup(tok.uid)
	if err != nil {
		return "", fmt.Errorf("ident: %w: no user with uid %d: %v", ErrBadCredentials, tok.uid, err)
	}
	log.Info("auth: ident: decrypted reply", "client", c.Client.String(), "uid", tok.uid, "user", name, "date", tok.date.UTC().Format(time.RFC3339))
	return name, nil
}

// identReply is a parsed RFC 1413 reply.
type identReply struct {
	errorType string // ERROR's type; "" for a USERID reply
	opsys     string
	userID    string
	encrypted string // the text between the brackets of an encrypted user-id
}

// parseIdentReply parses "<ports> : USERID : <opsys>[,<charset>] :
// <user-id>" or "<ports> : ERROR : <type>", checking that the ports are
// those asked about. The user-id runs to the end of the line (it may hold
// colons); white space around it is dropped.
func parseIdentReply(line string, clientPort, serverPort uint16) (identReply, error) {
	var r identReply
	ports, rest, ok := strings.Cut(line, ":")
	if !ok {
		return r, errors.New("no ':'")
	}
	a, b, ok := strings.Cut(ports, ",")
	pa, erra := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	pb, errb := strconv.ParseUint(strings.TrimSpace(b), 10, 16)
	if !ok || erra != nil || errb != nil {
		return r, errors.New("malformed port pair")
	}
	if uint16(pa) != clientPort || uint16(pb) != serverPort {
		return r, fmt.Errorf("reply about ports %d,%d, not %d,%d", pa, pb, clientPort, serverPort)
	}
	kind, rest, ok := strings.Cut(rest, ":")
	switch strings.ToUpper(strings.TrimSpace(kind)) {
	case "ERROR":
		r.errorType = strings.TrimSpace(rest)
		if !ok || r.errorType == "" {
			r.errorType = "UNKNOWN-ERROR"
		}
		return r, nil
	case "USERID":
	default:
		return r, fmt.Errorf("unknown reply type %q", strings.TrimSpace(kind))
	}
	opsys, id, ok := strings.Cut(rest, ":")
	if !ok {
		return r, errors.New("USERID reply without a user-id")
	}
	opsys, _, _ = strings.Cut(opsys, ",")
	r.opsys = strings.TrimSpace(opsys)
	r.userID = strings.Trim(id, " \t")
	if r.opsys == "" || r.userID == "" {
		return r, errors.New("empty operating system or user-id")
	}
	if inner, ok := strings.CutPrefix(r.userID, "["); ok && strings.HasSuffix(inner, "]") {
		r.encrypted = strings.TrimSuffix(inner, "]")
	}
	return r, nil
}
