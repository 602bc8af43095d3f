// Package harness is the benchmark's load generator and referee. It loads
// one generated corpus into every server (by writing the servers' files
// directly), starts each server in turn, drives it with go-imap's client
// over loopback, checks every answer against the corpus, and reports the
// medians of several runs with the ratios between servers.
//
// Cold and warm: "first" is the first access ever to the freshly written
// mailbox (Dovecot builds its index then), repeated on the mailbox put
// back as it was; "cold" is the first access after the server was
// restarted (its in-memory caches are gone, its on-disk state and the OS
// page cache stay); "warm" repeats the command on a running server.
package harness

import (
	"io"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// Params say what to run and how much.
type Params struct {
	Mode string // "smoke" or "full"; only labels the report
	N    int    // messages in INBOX
	Seed uint64
	// BigSizes are the very large messages' sizes (the largest is the
	// memory test's message).
	BigSizes []int

	// FirstRuns is how often the first phase runs, each time on a
	// mailbox put back as it was when just written (see freshState).
	FirstRuns int
	ColdRuns  int // server restarts for the cold measurements (and APPEND runs)
	WarmRuns  int // repetitions on a running server

	FetchBodies   int // UID FETCH BODY.PEEK[] of this many messages
	StoreCount    int // STORE +FLAGS on 1:StoreCount
	CopyCount     int // COPY and MOVE of 1:CopyCount
	Logins        int // LOGIN latency samples
	ConnSetups    int // connection setups (LOGIN+SELECT+IDLE) at most...
	ConnSetupTime time.Duration
	Append1       int // messages appended by one client
	AppendClients int // concurrent appending clients...
	AppendEach    int // ...each appending this many
	AppendTime    time.Duration
	MixedClients  []int
	MixedTime     time.Duration
	IdleClients   int
	BigRuns       int

	// OpTimeout bounds every single command; SetupTimeout bounds getting
	// many clients connected (IDLE, mixed).
	OpTimeout    time.Duration
	SetupTimeout time.Duration

	// Servers to run, by name; all known ones when empty.
	Servers []string
	// Steps limits the run to the steps whose names begin with one of
	// these ("store", "copy", "cold", ...); every step when empty.
	Steps []string
	// MailgateBin is the mailgate binary.
	MailgateBin string
	// MailgateSHACrypt gives mailgate's account the same SHA-512-crypt
	// hash as the others instead of `mailgate user add`'s bcrypt.
	MailgateSHACrypt bool
	// WorkDir holds the servers' directories; a new temporary directory
	// when empty. Keep leaves it in place.
	WorkDir string
	Keep    bool
	// Progress receives progress lines; nil discards them.
	Progress io.Writer `json:"-"`
}

// Smoke is the quick correctness run: the same code as a full run with a
// tiny mailbox and few clients. GNU imap4d sets its pace: concurrent
// sessions on one mbox wait for each other's dotlock in steps of a
// second, so the client counts are small.
func Smoke() Params {
	return Params{
		Mode:          "smoke",
		N:             200,
		Seed:          1,
		BigSizes:      []int{2 << 20, 512 << 10},
		FirstRuns:     1,
		ColdRuns:      1,
		WarmRuns:      2,
		FetchBodies:   1000,
		StoreCount:    10000,
		CopyCount:     1000,
		Logins:        5,
		ConnSetups:    5,
		ConnSetupTime: 2 * time.Second,
		Append1:       10,
		AppendClients: 3,
		AppendEach:    2,
		AppendTime:    5 * time.Second,
		MixedClients:  []int{2, 5},
		MixedTime:     time.Second,
		IdleClients:   8,
		BigRuns:       1,
		OpTimeout:     30 * time.Second,
		SetupTimeout:  30 * time.Second,
	}
}

// Full is the comparison run on n messages.
func Full(n int) Params {
	return Params{
		Mode:          "full",
		N:             n,
		Seed:          1,
		BigSizes:      corpus.DefaultBigSizes(n),
		FirstRuns:     3,
		ColdRuns:      3,
		WarmRuns:      5,
		FetchBodies:   1000,
		StoreCount:    10000,
		CopyCount:     1000,
		Logins:        50,
		ConnSetups:    500,
		ConnSetupTime: 10 * time.Second,
		Append1:       1000,
		AppendClients: 10,
		AppendEach:    200,
		AppendTime:    30 * time.Second,
		MixedClients:  []int{10, 100},
		MixedTime:     15 * time.Second,
		IdleClients:   1000,
		BigRuns:       3,
		OpTimeout:     10 * time.Minute,
		SetupTimeout:  3 * time.Minute,
	}
}
