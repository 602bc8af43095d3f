package imap_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// imaplib2Script logs in, turns COMPRESS=DEFLATE on with imaplib2's own
// zlib code (RFC 1951 raw deflate both ways), and then selects, fetches,
// idles until the test appends a message, and logs out, printing what it
// heard.
const imaplib2Script = `
import sys, imaplib2
m = imaplib2.IMAP4(sys.argv[1], int(sys.argv[2]), debug=int(sys.argv[3]) if len(sys.argv) > 3 else 0)
m.login('alice', 'secret')
typ, caps = m.capability()
assert b'COMPRESS=DEFLATE' in caps[0].split(), caps
m.enable_compression()
assert m.compressor is not None
typ, dat = m.select('INBOX')
print('SELECT', typ, dat[0].decode())
typ, dat = m.fetch('1', '(BODY.PEEK[])')
print('FETCH', typ, len(dat[0][1]))
print('IDLING', flush=True)
typ, dat = m.idle(timeout=20)
print('IDLE', typ, m.response('EXISTS')[1])
m.logout()
print('DONE')
`

// imaplib2 (Debian's python3-imaplib2, which offlineimap uses) is a
// second, zlib-based implementation of COMPRESS=DEFLATE's client side.
func TestCompressDeflateImaplib2(t *testing.T) {
	py := "/usr/bin/python3" // Debian's, where python3-imaplib2 is
	if exec.Command(py, "-c", "import imaplib2").Run() != nil {
		needs.Missing(t, "python3-imaplib2 is not installed (Debian package python3-imaplib2)")
	}
	e := startServer(t, nil)
	r := e.raw()
	r.login("alice")
	// Under 32 KiB inflated: imaplib2 2.57 waits for the socket before it
	// inflates what it already holds beyond one 32 KiB read, so a larger
	// answer that arrives at once hangs it (with any server).
	body := strings.Repeat("compressible line of text\r\n", 800)
	r.appendMsg("INBOX", "", testMessage("first", body))
	host, port, _ := strings.Cut(e.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", imaplib2Script, host, port)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "IDLING") {
		n, err := out.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("imaplib2: %v\n%s\n%s", err, got.String(), stderr.String())
		}
	}
	// No need to wait for its IDLE to reach the server: a change made
	// before IDLE is told right after IDLE's continuation (RFC 2177;
	// idleStart), which ends imaplib2's IDLE all the same.
	r.appendMsg("INBOX", "", testMessage("second", "x"))
	for {
		n, err := out.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("imaplib2: %v\n%s\n%s", err, got.String(), stderr.String())
	}
	text := got.String()
	for _, want := range []string{"SELECT OK 1", "FETCH OK " + itoaTest(len(testMessage("first", body))), "IDLE OK [b'2']", "DONE"} {
		if !strings.Contains(text, want) {
			t.Errorf("imaplib2 output lacks %q:\n%s\n%s", want, text, stderr.String())
		}
	}
}
