package imap_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
)

// takeAll is a Handoff that takes every session and serves its rest by
// closing the connection, as a session process that logs out at once.
type takeAll struct{}

func (takeAll) Takes(*auth.User) (bool, error) { return true, nil }
func (takeAll) Continue(h *imap.HandedOff)     { h.Conn.Close() }

// commandLog is an Observer that keeps every command's name and result.
type commandLog struct {
	mu      sync.Mutex
	results []string
}

func (l *commandLog) SessionStarted(imap.SessionInfo) imap.SessionObserver { return l }
func (l *commandLog) LoggedIn(string)                                      {}
func (l *commandLog) LoginFailed(string)                                   {}
func (l *commandLog) Selected(string)                                      {}
func (l *commandLog) Ended()                                               {}
func (l *commandLog) Command(name string, _ time.Duration, result string) {
	l.mu.Lock()
	l.results = append(l.results, name+" "+result)
	l.mu.Unlock()
}

// TestHandedOffLoginCountsAsOK: a LOGIN answered "OK Logged in" whose
// session continues in a process of its own is reported to the observer
// as OK. It was reported as NO (errHandedOff fell to observeCommand's
// default), so mailgate_commands_total{command="LOGIN",result="NO"}
// counted every successful login of a system user (54,194 in a soak
// whose mailgate_logins_total{result="failed"} read 0).
func TestHandedOffLoginCountsAsOK(t *testing.T) {
	obs := &commandLog{}
	e := startServer(t, func(o *imap.Options) {
		o.Handoff = takeAll{}
		o.Observer = obs
	})
	c := e.raw()
	c.send("a LOGIN alice secret")
	if l := c.line(); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		obs.mu.Lock()
		got := append([]string(nil), obs.results...)
		obs.mu.Unlock()
		if len(got) > 0 {
			if got[0] != "LOGIN OK" {
				t.Errorf("the observer heard %q of a LOGIN the client read as OK", got[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no command reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
