package proxyauth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// AuthServer serves an AuthHTTP over HTTP/1, with the methods a gateway
// frontend has (Serve, ServeConn, Refuse, Close).
type AuthServer struct {
	srv *http.Server
}

// NewAuthServer returns a server of h.
func NewAuthServer(h http.Handler) *AuthServer {
	return &AuthServer{srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// nginx's auth_http asks one question per connection and closes
		// it: a connection idle this long is no proxy's.
		IdleTimeout:    30 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ConnState: func(c net.Conn, st http.ConnState) {
			// A slot of the gateway's listener: no login here.
			if sl, ok := c.(interface{ LoggedIn(string) }); ok && st == http.StateNew {
				sl.LoggedIn("")
			}
		},
	}}
}

// Serve answers the connections of ln until Close.
func (s *AuthServer) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ServeConn answers the requests of one connection.
func (s *AuthServer) ServeConn(c net.Conn) {
	ln := &oneConn{c: c, done: make(chan struct{})}
	go s.srv.Serve(ln)
	<-ln.done
}

// Refuse answers 403 with reason and closes c.
func (s *AuthServer) Refuse(c net.Conn, reason string) {
	io.WriteString(c, "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"+reason+"\r\n")
	c.Close()
}

// Close stops the server, waiting for requests under way until ctx is
// done.
func (s *AuthServer) Close(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}

// oneConn is a listener of one connection, whose done closes when it is.
type oneConn struct {
	mu   sync.Mutex
	c    net.Conn
	done chan struct{}
}

func (l *oneConn) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		<-l.done
		return nil, net.ErrClosed
	}
	c := &closeNotify{Conn: l.c, done: l.done}
	l.c = nil
	return c, nil
}

func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return dummyAddr{} }

type dummyAddr struct{}

func (dummyAddr) Network() string { return "pipe" }
func (dummyAddr) String() string  { return "pipe" }

// closeNotify closes done when closed.
type closeNotify struct {
	net.Conn
	once sync.Once
	done chan struct{}
}

func (c *closeNotify) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}
