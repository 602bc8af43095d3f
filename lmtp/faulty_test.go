package lmtp_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// injected holds the error each user's appends fail with, for the
// "faulty" format: the storage core is real, only the files are not.
type injected struct {
	mu     sync.Mutex
	byUser map[string]error
	tries  map[string]int // appends attempted, by user
	// poison, when set, fails every message that holds it, over
	// quota, after delay (so that concurrent deliveries group).
	poison string
	delay  time.Duration
}

func (i *injected) set(user string, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.byUser[user] = err
}

// attempts returns how many appends a user's mailboxes had.
func (i *injected) attempts(user string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.tries[user]
}

// tryAppend counts an append to the mailbox at path, below a user's home,
// and returns the error it is to fail with.
func (i *injected) tryAppend(path string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	user := filepath.Base(filepath.Dir(path))
	i.tries[user]++
	return i.byUser[user]
}

// faultyDriver is a format whose appends fail as injected says, after
// reading the message, and otherwise keep messages in memory.
type faultyDriver struct{ errs *injected }

const faultyMarker = ".faulty"

func (d *faultyDriver) Name() string { return "faulty" }

func (d *faultyDriver) Is(path string) bool {
	_, err := os.Stat(filepath.Join(path, faultyMarker))
	return err == nil
}

func (d *faultyDriver) Create(path string, perm os.FileMode) error {
	if d.Is(path) {
		return storage.ErrExists
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(path, faultyMarker), nil, perm)
}

func (d *faultyDriver) Open(path string, _ os.FileMode) (storage.Folder, error) {
	return &faultyFolder{path: path, errs: d.errs}, nil
}

func (d *faultyDriver) Delete(path string) error { return os.RemoveAll(path) }

func (d *faultyDriver) Internal(name string) bool { return false }

type faultyFolder struct {
	path string
	errs *injected
	msgs []storage.Message
	next uint32 // the last UID given
}

func (f *faultyFolder) Scan() (storage.Snapshot, error) {
	return storage.Snapshot{UIDValidity: 1, UIDNext: f.next + 1, Messages: append([]storage.Message(nil), f.msgs...)}, nil
}

func (f *faultyFolder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return storage.Message{}, err
	}
	n := int64(len(data))
	if err := f.errs.tryAppend(f.path); err != nil {
		return storage.Message{}, err
	}
	f.errs.mu.Lock()
	poison, delay := f.errs.poison, f.errs.delay
	f.errs.mu.Unlock()
	time.Sleep(delay)
	if poison != "" && bytes.Contains(data, []byte(poison)) {
		return storage.Message{}, fmt.Errorf("poisoned: %w", syscall.EDQUOT)
	}
	m := storage.Message{UID: f.next + 1, Flags: flags, InternalDate: date, Size: n}
	f.next++
	f.msgs = append(f.msgs, m)
	return m, nil
}

func (f *faultyFolder) Open(uint32) (io.ReadCloser, error) { return nil, storage.ErrNoMessage }
func (f *faultyFolder) SetFlags(uint32, []string) error    { return nil }
func (f *faultyFolder) Seen([]uint32) error                { return nil }
func (f *faultyFolder) Expunge(uids []uint32) error {
	f.msgs = slices.DeleteFunc(f.msgs, func(m storage.Message) bool { return slices.Contains(uids, m.UID) })
	return nil
}
func (f *faultyFolder) WatchPaths() []string { return nil }
func (f *faultyFolder) Close() error         { return nil }
