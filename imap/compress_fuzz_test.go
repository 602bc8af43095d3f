package imap

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// FuzzInflate feeds the server's inflating side (deflateConn) arbitrary
// bytes as a client's compressed stream: whatever it is, reading ends
// with an error or the stream's data once the client hangs up, never a
// panic or a hang, and a valid stream reads back as it was written.
func FuzzInflate(f *testing.F) {
	deflated := func(s string) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestSpeed)
		w.Write([]byte(s))
		w.Flush()
		return b.Bytes()
	}
	f.Add(deflated("a NOOP\r\n"))
	f.Add(deflated("i IDLE\r\nDONE\r\n"))
	f.Add(append(deflated("a NOOP\r\n"), 0xff, 0x00))
	f.Add([]byte{0x00, 0x00, 0xff, 0xff})
	f.Add([]byte("a NOOP\r\n"))
	f.Fuzz(runInflate)
}

func runInflate(t *testing.T, in []byte) {
	server, client := net.Pipe()
	d := newDeflateConn(server)
	defer d.Close()
	go func() {
		client.Write(in)
		client.Close()
	}()
	var got []byte
	buf := make([]byte, 300)
	d.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := d.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("reading %q hung", in)
		}
		if err != nil {
			break
		}
		if len(got) > 1<<20 {
			break // a bomb is read in pieces; enough of it
		}
	}
	if want, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(in)), 2<<20)); err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
		if !bytes.HasPrefix(want, got) && len(got) <= 1<<20 {
			t.Fatalf("inflated %q, want %q", got, want)
		}
	}
}

// mbsyncFlushes are what mbsync 1.4.4 (zlib, Z_PARTIAL_FLUSH) sent after
// COMPRESS DEFLATE, one flush a line; the last is a dynamic block whose
// final bits stay with the client until its next command.
var mbsyncFlushes = []struct{ hex, text string }{
	{"3256f073f4750d0e707476e5e50208", "3 NAMESPACE\r\n"},
	{"2013051fcfe01005252505252d255e2e8000", "4 LIST \"\" \"*\"\r\n"},
	{"32550876f57175060a78fa39f94700450002", "5 SELECT \"INBOX\"\r\n"},
	{"c84c21d4d345c1cd35c4d943c1d0ca584103ccf571740fd6e4e50208", "6 UID FETCH 1:3 (UID FLAGS)\r\n"},
	{"40e618b4260c0451f8beb0ff618e8568bac9c1ea2245315b14354ab3851e7ad9c4511236d912574d5bfadfcd060469878181f7bee1bda7ce4ce4e65540005e27fbc9622562090f1f0962d542c33b28fc0745a8d1e2aee546309b8bd9929280c174bb1571746b013fc19079bf94bcd4a6e430d579863056ee4cb051e5a746dfd487674aa4e1909af45ea52439a5056696c3de9c6a4a226591c3da54bdb64e6cce10b2700001e3cc2d78ac1d4ad6783caa03f6171187b17bfc93f4de976fce7b6c0a5134a9aacef29b124a2e756e2d56a04da6b4fe72d255",
		"7 UID STORE 1 +FLAGS.SILENT (\\Seen)\r\n8 UID STORE 2 +FLAGS.SILENT (\\Deleted)\r\n9 CHECK\r\n10 APPEND \"INBOX\" {180+}\r\n" +
			"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: four\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <four@example.org>\r\nX-TUID: /xjEjxbanvTz\r\n\r\nwritten locally\r\n\r\n"},
}

// Each partially flushed command is read whole before the next is sent:
// compress/flate's reader held the last one back (it looks ahead).
func TestInflatePartialFlush(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	d := newDeflateConn(server)
	defer d.Close()
	for _, fl := range mbsyncFlushes {
		b, _ := hex.DecodeString(fl.hex)
		go client.Write(b)
		d.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(fl.text))
		if _, err := io.ReadFull(d, got); err != nil || string(got) != fl.text {
			t.Fatalf("read %q, %v; want %q", got, err, fl.text)
		}
	}
}
