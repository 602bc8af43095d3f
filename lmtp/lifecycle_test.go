package lmtp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp"
)

// TestCloseIdleSession: Close says 421 to a session waiting for its next
// transaction, closes it, and returns; Serve then returns ErrServerClosed.
func TestCloseIdleSession(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.lhlo()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r.expect("421 4.3.2 mx.example.org Service shutting down")
	if _, err := r.r.ReadByte(); err != io.EOF {
		t.Errorf("after 421: %v; want EOF", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := e.srv.Serve(ln); !errors.Is(err, lmtp.ErrServerClosed) {
		t.Errorf("Serve after Close: %v", err)
	}
}

// TestCloseLetsATransactionFinish: a message being sent when Close comes
// is received and delivered, its 250 said, and only then 421.
func TestCloseLetsATransactionFinish(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.lhlo()
	r.send("MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "DATA")
	r.expect("250 ", "250 ", "354 ")
	r.send("Subject: during shutdown", "")
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closed <- e.srv.Close(ctx)
	}()
	// Close has begun once the listener refuses connections.
	for {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
	r.send("the body", ".")
	r.expect("250 2.0.0 <alice@example.org>", "421 4.3.2")
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := e.messages("alice", "INBOX"); len(got) != 1 || !strings.Contains(got[0], "the body") {
		t.Errorf("alice's INBOX: %q", got)
	}
}

// TestCloseGivesUp: a client that stays silent in the middle of a
// transaction is cut off when Close's context expires.
func TestCloseGivesUp(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.lhlo()
	r.send("MAIL FROM:<s@example.net>")
	r.expect("250 ")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.srv.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v; want the context's deadline", err)
	}
	r.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(r.r); err != nil {
		t.Errorf("the connection was not closed: %v", err)
	}
}

// TestIdleTimeout: a client silent for Timeout hears 421 and is closed.
func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.Timeout = 50 * time.Millisecond }})
	r := e.raw()
	r.expect("421 4.4.2")
}

// TestServeConnAndRefuse: ServeConn serves a connection the host
// accepted (here one end of a pipe) and returns when the session ends;
// Refuse answers 421 with the reason and closes.
func TestServeConnAndRefuse(t *testing.T) {
	e := newEnv(t, envConfig{})
	ours, theirs := net.Pipe()
	done := make(chan struct{})
	go func() {
		e.srv.ServeConn(theirs)
		close(done)
	}()
	br := bufio.NewReader(ours)
	readLine := func() string {
		ours.SetReadDeadline(time.Now().Add(30 * time.Second))
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		return strings.TrimRight(l, "\r\n")
	}
	if g := readLine(); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("greeting %q", g)
	}
	io.WriteString(ours, "QUIT\r\n")
	if l := readLine(); !strings.HasPrefix(l, "221 ") {
		t.Errorf("QUIT: %q", l)
	}
	<-done

	ours, theirs = net.Pipe()
	go e.srv.Refuse(theirs, "Too many connections\r\nfrom you")
	ours.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, _ := io.ReadAll(ours)
	if string(got) != "421 4.3.2 mx.example.org Too many connections  from you\r\n" {
		t.Errorf("refusal %q", got)
	}
}
