package accept

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	acceptErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"out of descriptors", acceptErr(syscall.EMFILE), true},
		{"system out of descriptors", acceptErr(syscall.ENFILE), true},
		{"client gone before accept", acceptErr(syscall.ECONNABORTED), true},
		{"no buffer space", acceptErr(syscall.ENOBUFS), true},
		{"deadline", acceptErr(syscall.EAGAIN), true},
		{"listener closed", &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}, false},
		{"bad descriptor", acceptErr(syscall.EBADF), false},
		{"plain error", errors.New("broken"), false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("%s: Retryable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestLoopReturnsWhenClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Loop(ln, func(c net.Conn) { c.Close() }, nil) }()
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Loop after Close returned %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Loop did not return within 5s of Close")
	}
}

// childEnv marks the test binary re-executed as the server of
// TestLoopSurvivesDescriptorExhaustion.
const childEnv = "MAILGATE_ACCEPT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(serveWithFewDescriptors())
	}
	os.Exit(m.Run())
}

// serveWithFewDescriptors runs Loop in a process that may open only a few
// more descriptors than it has, printing the address first. Every
// connection is greeted and held until the client hangs up.
func serveWithFewDescriptors() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fmt.Println("counting descriptors:", err)
		return 1
	}
	limit := uint64(len(fds) + 6)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Println("setrlimit:", err)
		return 1
	}
	fmt.Println(ln.Addr())
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	err = Loop(ln, func(c net.Conn) {
		go func() {
			defer c.Close()
			io.WriteString(c, "hi\n")
			io.Copy(io.Discard, c)
		}()
	}, log)
	fmt.Println("loop returned:", err)
	return 1
}

// A flood of connections that exhausts the server's descriptors must slow
// it down, not stop it: once the flood goes away, a new client is served.
func TestLoopSurvivesDescriptorExhaustion(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to count descriptors")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stderr := &lockedBuilder{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	lines := bufio.NewReader(out)
	addr, err := lines.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("child gave no address: %v\n%s", err, stderr.String())
	}
	addr = strings.TrimSpace(addr)
	go func() {
		rest, _ := io.ReadAll(lines)
		cmd.Wait()
		if len(rest) > 0 {
			t.Logf("child: %s", rest)
		}
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	var flood []net.Conn
	for i := 0; i < 20; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		flood = append(flood, c)
	}
	// The first few are greeted; the rest wait in the backlog while
	// accept fails for want of descriptors.
	greeted := 0
	for _, c := range flood {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if line, _ := bufio.NewReader(c).ReadString('\n'); line == "hi\n" {
			greeted++
		}
	}
	if greeted == len(flood) {
		t.Fatalf("all %d connections were greeted: the descriptor limit did not bite", greeted)
	}
	// The child logs the failed accept when it gets to it: a loaded
	// machine may take a while.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(stderr.String(), "too many open files"); {
		if time.Now().After(deadline) {
			t.Fatalf("the exhaustion was not logged within a minute; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range flood {
		c.Close()
	}
	select {
	case <-exited:
		t.Fatalf("the server stopped when it ran out of descriptors:\n%s", stderr.String())
	case <-time.After(200 * time.Millisecond):
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial after the flood: %v", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); line != "hi\n" {
		t.Fatalf("after the flood a new client got %q, %v; want the greeting\n%s", line, err, stderr.String())
	}
}

// lockedBuilder is a strings.Builder that the child's stderr copier and
// the test may use at once.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
