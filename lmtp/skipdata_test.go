package lmtp

import (
	"net"
	"testing"
	"time"
)

// TestSkipData: the rest of a message after an overlong line is read up
// to the end of data, wherever it falls: in the read that go-smtp
// dropped, split over reads, with bare LF, after dot-stuffed lines; a
// line that only starts with a dot does not end it, and a client that
// goes away ends the search.
func TestSkipData(t *testing.T) {
	tests := []struct {
		name   string
		last   string   // the read go-smtp dropped
		more   []string // what the client sends after it
		closed bool     // the client then closes
		want   bool
	}{
		{"in the dropped read", "yyyy\r\n.\r\nQUIT\r\n", nil, false, true},
		{"later", "yyyy", []string{"yy\r\nmore\r\n", ".\r\n"}, false, true},
		{"split", "yyyy\r", []string{"\n", ".", "\r", "\n"}, false, true},
		{"bare LF", "yyyy\n.\n", nil, false, true},
		{"dot-stuffed first", "yy\r\n..\r\n.x\r\n", []string{"\r\n.\r\n"}, false, true},
		{"no end", "yyyy\r\n..\r\n", []string{".x\r\n"}, true, false},
		{"dot in the middle of a line", "yy.\r\n", []string{"a.\r\n"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer server.Close()
			c := &conn{Conn: server, srv: &Server{opts: Options{Timeout: 5 * time.Second}}, last: []byte(tc.last)}
			go func() {
				for _, m := range tc.more {
					client.Write([]byte(m))
				}
				if tc.closed {
					client.Close()
				}
			}()
			defer client.Close()
			if got := c.skipData(1 << 20); got != tc.want {
				t.Errorf("skipData = %v; want %v", got, tc.want)
			}
		})
	}
}

// TestSkipDataBound: skipData gives up after max bytes.
func TestSkipDataBound(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	defer client.Close()
	c := &conn{Conn: server, srv: &Server{opts: Options{Timeout: 5 * time.Second}}}
	go func() {
		b := make([]byte, 4096)
		for {
			if _, err := client.Write(b); err != nil {
				return
			}
		}
	}()
	if c.skipData(64 << 10) {
		t.Error("found an end of data that was never sent")
	}
}
