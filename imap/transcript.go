package imap

import (
	"bytes"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
)

// transcriptConn logs every protocol line that passes through it, as the
// seed's "transcript" statement asks, with passwords masked.
type transcriptConn struct {
	net.Conn
	log *slog.Logger

	mu       sync.Mutex
	in, out  []byte
	maskNext bool // the next client line is an AUTHENTICATE response
}

// loginLine finds "tag LOGIN user " so that what follows can be masked.
var loginLine = regexp.MustCompile(`(?i)^(\S+ LOGIN (?:"(?:[^"\\]|\\.)*"|\S+) ).*$`)
var authLine = regexp.MustCompile(`(?i)^\S+ AUTHENTICATE \S+`)

const transcriptMax = 512

func (c *transcriptConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.in = c.logLines("C", append(c.in, p[:n]...), true)
	c.mu.Unlock()
	return n, err
}

func (c *transcriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out = c.logLines("S", append(c.out, p...), false)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// logLines logs each complete line of buf and returns the rest.
func (c *transcriptConn) logLines(dir string, buf []byte, client bool) []byte {
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			if len(buf) > transcriptMax {
				// A literal or a long line: log its start only.
				c.log.Info("imap: transcript", "dir", dir, "line", string(buf[:transcriptMax])+"...")
				return buf[:0]
			}
			return buf
		}
		line := string(bytes.TrimRight(buf[:i], "\r"))
		buf = buf[i+1:]
		if client {
			switch {
			case c.maskNext:
				line = "***"
				c.maskNext = false
			case loginLine.MatchString(line):
				line = loginLine.ReplaceAllString(line, `$1"***"`)
			case authLine.MatchString(line):
				line = authLine.FindString(line) + " ***"
			}
		} else if strings.HasPrefix(line, "+ ") && line != "+ Ready for literal data" && line != "+ idling" {
			// A SASL challenge: the client's next line is a response.
			c.maskNext = true
		}
		if len(line) > transcriptMax {
			line = line[:transcriptMax] + "..."
		}
		c.log.Info("imap: transcript", "dir", dir, "line", line)
	}
}
