package imap

import (
	"bytes"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mailgate/mailgate/auth"
)

// transcriptConn logs every protocol line that passes through it, as the
// seed's "transcript" statement asks. As imap4d does, it shows the LOGIN
// password and every AUTHENTICATE response as "***"; the data of a
// literal, either way, is shown as its size only (the line announcing it
// has the size), so that neither passwords nor mail end up in the log.
//
// Before login it trusts no line's shape: a client, or a person at
// telnet, that puts a space too many or a word too many before LOGIN
// sends a real password in a line the server refuses as BAD. So until
// the session tells it of the login (loggedIn), a client line shows in
// full only when it is an argument-less CAPABILITY, NOOP, LOGOUT or
// STARTTLS, or an ID; any other shows its tag and, when it is a command
// the server knows, that command (and LOGIN's user name, AUTHENTICATE's
// mechanism when it is one), and "***" for the rest; a line of one word
// shows none of it. What follows a literal in such a line is masked too,
// and so is every client line that answers a "+" not sent for a literal:
// the responses of an AUTHENTICATE, whatever its first line looked like.
// Commands a client sends in the same packet as its login are read
// before the login is known, and are masked so too.
type transcriptConn struct {
	net.Conn
	log *slog.Logger

	mu      sync.Mutex
	in, out transcriptStream
	// pending is the size of a synchronising literal the client
	// announced; its data comes once the server has sent "+".
	pending int64
	// held is what the client sent while pending: a client may send a
	// literal's data without waiting for the "+", and whether those
	// bytes are literal data (a "+" comes) or the next command (a
	// tagged reply comes) is known only from the server's answer.
	held []byte
	// secret is set while a LOGIN goes on after a literal (before login,
	// any command); inAuth while an AUTHENTICATE exchange goes on, until
	// its tagged reply. The client's lines are credentials then.
	secret, inAuth bool
	// authenticated is set once the session has logged in; before, the
	// client's lines are masked as the type's comment says.
	authenticated bool
}

// transcriptStream is one direction of a transcript: the line being
// gathered and the literal data still to pass.
type transcriptStream struct {
	line    []byte // the start of the current line, at most transcriptMax bytes
	long    bool   // the current line is longer than line
	tail    []byte // its last bytes, where a literal is announced
	literal int64  // literal bytes still to pass unlogged
}

// The transcript's patterns are compiled when a transcript first needs
// them, not at every process start: most sessions keep none, and an
// inetd session (`mailgate -i`) would pay for them before its greeting.
var (
	// loginLine finds "tag LOGIN user " so that what follows can be masked.
	loginLine = lazyRegexp(`(?i)^(\S+ LOGIN (?:"(?:[^"\\]|\\.)*"|[^\s{]\S*) ).*$`)
	loginCmd  = lazyRegexp(`(?i)^\S+ LOGIN( |$)`)
	authLine  = lazyRegexp(`(?i)^\S+ AUTHENTICATE \S+`)
	// literalAnnounced finds "{n}" or "{n+}" at the end of a line.
	literalAnnounced = lazyRegexp(`\{([0-9]+)(\+?)\}\r?$`)
)

// lazyRegexp returns a function that compiles expr the first time it is
// called.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

const transcriptMax = 512

// transcriptHeldMax bounds the client bytes held while a synchronising
// literal waits for the server's answer. The server reads no further
// until it has answered, so one read's worth is all that comes; beyond
// this the bytes are taken for the literal's data.
const transcriptHeldMax = 64 << 10

// plainConn returns the connection below a transcript, or c.
func plainConn(c net.Conn) net.Conn {
	if t, ok := c.(*transcriptConn); ok {
		return t.Conn
	}
	return c
}

// CloseWrite ends the sending side, when the connection below can.
func (c *transcriptConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

func (c *transcriptConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.scan(&c.in, p[:n], c.clientLine)
	c.mu.Unlock()
	return n, err
}

func (c *transcriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.scan(&c.out, p, c.serverLine)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// scan passes p through st, calling line for each line completed, with
// the line's first bytes and whether it was longer; literal data is
// skipped.
func (c *transcriptConn) scan(st *transcriptStream, p []byte, line func(text string, long bool) int64) {
	for len(p) > 0 {
		if st == &c.in && c.pending > 0 && st.literal == 0 {
			c.held = append(c.held, p...)
			if len(c.held) > transcriptHeldMax {
				c.in.literal, c.pending = c.pending, 0
				c.replay()
			}
			return
		}
		if st.literal > 0 {
			n := int64(min(int64(len(p)), st.literal))
			st.literal -= n
			p = p[n:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
			p = p[i+1:]
		} else {
			p = nil
		}
		room := transcriptMax - len(st.line)
		if len(chunk) > room {
			st.line = append(st.line, chunk[:room]...)
			st.long = true
		} else {
			st.line = append(st.line, chunk...)
		}
		st.tail = append(st.tail, chunk[max(0, len(chunk)-32):]...)
		if len(st.tail) > 32 {
			st.tail = st.tail[len(st.tail)-32:]
		}
		if i < 0 {
			continue
		}
		text := strings.TrimSuffix(string(st.line), "\r")
		if st.long {
			// Announce a literal only as the end of the line says it.
			if m := literalAnnounced().FindSubmatch(st.tail); m != nil {
				text += "..." + string(m[0])
			}
		}
		st.literal = line(text, st.long)
		st.line, st.tail, st.long = st.line[:0], st.tail[:0], false
	}
}

// loggedIn tells the transcript that the session has logged in: from
// the next line on, the client's lines are masked only where they carry
// credentials.
func (c *transcriptConn) loggedIn() {
	c.mu.Lock()
	c.authenticated = true
	c.mu.Unlock()
}

// clientLine logs a line from the client, masked, and returns how many
// literal bytes follow at once (a non-synchronising literal).
func (c *transcriptConn) clientLine(text string, long bool) int64 {
	size, sync := announced(text)
	logged := text
	switch {
	case c.inAuth:
		logged = "***"
	case c.secret:
		// The rest of a LOGIN (before login, of any command) after a
		// literal.
		logged = "***"
		c.secret = size >= 0
	case !c.authenticated:
		var authenticate bool
		logged, authenticate = beforeLogin(text)
		c.inAuth = authenticate
		c.secret = size >= 0 && !authenticate
		if long && logged == text {
			logged += "..."
		}
	case loginLine().MatchString(text):
		logged = loginLine().ReplaceAllString(text, `$1"***"`)
		c.secret = size >= 0
	case loginCmd().MatchString(text):
		// The user name is a literal: all that follows is masked.
		logged = loginCmd().FindString(text) + "***"
		c.secret = size >= 0
	case authLine().MatchString(text):
		if a := authLine().FindString(text); len(a) < len(text) {
			logged = a + " ***"
		}
		c.inAuth = true
	case looseLogin(text) != "":
		// LOGIN or AUTHENTICATE among the first words, in a shape the
		// server refuses: the rest may still be a real password.
		logged = looseLogin(text) + " ***"
	case long:
		logged += "..."
	}
	c.log.Info("imap: transcript", "dir", "C", "line", logged)
	switch {
	case size < 0 || c.inAuth:
		return 0
	case sync:
		c.pending = size
		return 0
	}
	return size
}

// serverLine logs a line from the server and returns how many literal
// bytes follow it.
func (c *transcriptConn) serverLine(text string, long bool) int64 {
	replay := false
	if strings.HasPrefix(text, "+") {
		if c.pending > 0 {
			c.in.literal, c.pending = c.pending, 0
			replay = true
		} else if !c.authenticated {
			// Before login a "+" not sent for a literal asks for an
			// AUTHENTICATE response, whatever the transcript made of
			// the command's line: the answer is a credential.
			c.inAuth = true
		}
	} else if !strings.HasPrefix(text, "* ") {
		// A tagged reply: the command has ended, and a literal the
		// client was waiting to send will not come.
		replay = c.pending > 0
		c.pending, c.secret, c.inAuth = 0, false, false
	}
	if long {
		text += "..."
	}
	c.log.Info("imap: transcript", "dir", "S", "line", text)
	if replay {
		c.replay()
	}
	if size, _ := announced(text); size > 0 {
		return size
	}
	return 0
}

// beforeLogin masks a client line sent before login (see transcriptConn)
// and says whether it starts an AUTHENTICATE exchange.
func beforeLogin(text string) (logged string, authenticate bool) {
	tag, rest, ok := strings.Cut(text, " ")
	if !ok {
		// One word, or none: a tag with no command, or a password typed
		// on a line of its own.
		if text == "" {
			return "", false
		}
		return "***", false
	}
	name, args, hasArgs := strings.Cut(rest, " ")
	upper := strings.ToUpper(name)
	switch upper {
	case "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS":
		if !hasArgs {
			return text, false
		}
	case "ID":
		// The client's name and version, which a transcript is for,
		// when the line is that and nothing more: "a ID (...) LOGIN u
		// pw" would show the password.
		if wholeIDArgs(args) {
			return text, false
		}
	case "LOGIN":
		if m := loginLine().FindStringSubmatch(text); m != nil {
			return m[1] + `"***"`, false
		}
	case "AUTHENTICATE":
		mech, _, initial := strings.Cut(args, " ")
		shown := tag + " " + name + " ***"
		if slices.Contains(auth.Mechanisms(), strings.ToUpper(mech)) {
			shown = tag + " " + name + " " + mech
			if initial {
				shown += " ***"
			}
		}
		return shown, true
	}
	if _, known := commands[upper]; known || upper == "UID" {
		return tag + " " + name + " ***", false
	}
	return tag + " ***", false
}

// wholeIDArgs reports whether args is exactly an ID command's argument,
// NIL or a parenthesized list of quoted strings and NILs, with nothing
// after it.
func wholeIDArgs(args string) bool {
	if strings.EqualFold(args, "NIL") {
		return true
	}
	if !strings.HasPrefix(args, "(") {
		return false
	}
	i := 1
	for i < len(args) {
		switch c := args[i]; {
		case c == ')':
			return i == len(args)-1
		case c == ' ':
			i++
		case c == '"':
			i++
			for i < len(args) && args[i] != '"' {
				if args[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(args) {
				return false
			}
			i++
		case len(args) >= i+3 && strings.EqualFold(args[i:i+3], "NIL"):
			i += 3
		default:
			return false
		}
	}
	return false
}

// looseLogin returns the start of text up to LOGIN or AUTHENTICATE when
// one of its first three words is one of them ("a  LOGIN", "a UID
// LOGIN"), or "".
func looseLogin(text string) string {
	rest, end := text, 0
	for range 3 {
		trimmed := strings.TrimLeft(rest, " ")
		end += len(rest) - len(trimmed)
		word, _, _ := strings.Cut(trimmed, " ")
		end += len(word)
		if w := strings.ToUpper(word); w == "LOGIN" || w == "AUTHENTICATE" {
			return text[:end]
		}
		rest = trimmed[len(word):]
		if rest == "" {
			break
		}
	}
	return ""
}

// replay passes the client bytes held while a literal was pending
// through the transcript, now that the server's answer tells what they
// are: the literal's data after a "+", the next command after a tagged
// reply. They may announce another literal, and be held again.
func (c *transcriptConn) replay() {
	held := c.held
	c.held = nil
	c.scan(&c.in, held, c.clientLine)
}

// announced returns the size of the literal announced at the end of a
// line and whether it is synchronising, or -1.
func announced(text string) (size int64, sync bool) {
	m := literalAnnounced().FindStringSubmatch(text)
	if m == nil {
		return -1, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return -1, false
	}
	return n, m[2] == ""
}
