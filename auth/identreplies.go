package auth

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// IdentRepliesFile is the name, in the data directory, of the record of
// the encrypted ident replies used recently (IdentReplies.Path).
const IdentRepliesFile = "ident-replies"

// maxIdentReplies bounds the replies remembered at once: past it a new
// one is refused, since it could not be remembered. A reply is
// remembered for twice the skew allowed (10 minutes by default), and
// each needs a connection that the client's ident server vouched for.
const maxIdentReplies = 100_000

// identTokenSize is the size of an encrypted ident reply, decoded.
const identTokenSize = 24

// IdentReplies remembers the encrypted ident replies that logged someone
// in, until their date is too old for IdentPreauth to accept them
// anyway, so that each logs in once: one captured on its way (it crosses
// the network in the clear) cannot be used again.
//
// With Path set the record is a file, which every process of the data
// directory shares (an inetd mode process per connection, a daemon after
// a restart or a reload, nodes sharing the directory), under an flock(2)
// on Path+".lock"; each reply is added with a line "HEX EXPIRY" appended
// and synced before the reply is accepted. A last line without its end
// is a write cut short by a crash, whose login never happened, and is
// dropped; any other line that does not parse means the file is not
// ours to trust: every encrypted reply is then refused until it is
// removed. Without Path the record is kept in memory, for this process.
//
// The zero value is usable (in memory); it is safe for concurrent use.
type IdentReplies struct {
	// Path is the record's file; "" keeps it in memory.
	Path string

	mu  sync.Mutex
	mem map[[identTokenSize]byte]time.Time // without Path: reply -> expiry
}

// errIdentReplayed is the error of a reply already used.
var errIdentReplayed = errors.New("the encrypted ident reply was used before: a replay")

// use records that token logged in, to be remembered until expires, or
// returns errIdentReplayed when it is remembered already. Other errors
// say the record could not be read or written; the reply must then be
// refused too.
func (r *IdentReplies) use(token [identTokenSize]byte, expires, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Path == "" {
		return r.useMemory(token, expires, now)
	}
	return r.useFile(token, expires, now)
}

// useMemory is use without a file. r.mu is held.
func (r *IdentReplies) useMemory(token [identTokenSize]byte, expires, now time.Time) error {
	if r.mem == nil {
		r.mem = map[[identTokenSize]byte]time.Time{}
	}
	if until, ok := r.mem[token]; ok && now.Before(until) {
		return errIdentReplayed
	}
	for t, until := range r.mem {
		if !now.Before(until) {
			delete(r.mem, t)
		}
	}
	if len(r.mem) >= maxIdentReplies {
		return fmt.Errorf("%d encrypted ident replies remembered, the most: refusing more until they expire", len(r.mem))
	}
	r.mem[token] = expires
	return nil
}

// useFile is use with the file at r.Path. r.mu is held.
func (r *IdentReplies) useFile(token [identTokenSize]byte, expires, now time.Time) error {
	unlock, err := lockPath(r.Path)
	if err != nil {
		return fmt.Errorf("ident replies: %w", err)
	}
	defer unlock()
	data, err := os.ReadFile(r.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ident replies: %w", err)
	}
	torn := false
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data, torn = data[:i+1], true // a write cut short by a crash
	}
	want := hex.EncodeToString(token[:])
	var live [][]byte
	n := 0
	for line := range bytes.Lines(data) {
		n++
		hexTok, exp, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
		unix, err := strconv.ParseInt(string(exp), 10, 64)
		if !ok || err != nil || len(hexTok) != 2*identTokenSize {
			return fmt.Errorf("ident replies: %s:%d: not a record of this program: remove the file, after checking who wrote it", r.Path, n)
		}
		if !now.Before(time.Unix(unix, 0)) {
			continue
		}
		if string(hexTok) == want {
			return errIdentReplayed
		}
		live = append(live, line)
	}
	if len(live) >= maxIdentReplies {
		return fmt.Errorf("ident replies: %d remembered, the most: refusing more until they expire", len(live))
	}
	record := fmt.Appendf(nil, "%s %d\n", want, expires.Unix())
	if torn || 2*len(live) < n {
		// Most of the file has expired (or its end is torn): write
		// what is left anew.
		return writeReplies(r.Path, append(bytes.Join(live, nil), record...))
	}
	f, err := os.OpenFile(r.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("ident replies: %w", err)
	}
	_, werr := f.Write(record)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("ident replies: %s: %w", r.Path, err)
	}
	return nil
}

// writeReplies replaces the file at path with data, whole: through a
// temporary file, synced, renamed over it.
func writeReplies(path string, data []byte) error {
	tmp, err := writeTemp(filepath.Dir(path), ".ident-replies-*", data)
	if err != nil {
		return fmt.Errorf("ident replies: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("ident replies: %w", err)
	}
	return nil
}
