package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// memDriver is a small in-memory format for the core's tests: a mailbox
// is an empty marker file on disk (so that the core finds it) with its
// messages in memory. With stage set its folders are storage.Stagers;
// stageHook, when set, runs inside Stage after the message was read.
type memDriver struct {
	name      string
	stage     bool
	stageHook func()
	// cacheFiles: its folders are storage.CacheFilers, keeping the
	// cache file beside the mailbox's marker file.
	cacheFiles bool

	mu       sync.Mutex
	boxes    map[string]*memBox
	validity uint32
	staging  int // messages staged and neither committed nor aborted
	staged   int // Stage calls that returned a message
}

type memBox struct {
	validity, next uint32
	msgs           []storage.Message
	data           map[uint32][]byte
}

func newMemDriver(name string, stage bool) *memDriver {
	return &memDriver{name: name, stage: stage, boxes: map[string]*memBox{}, validity: 1000}
}

func (d *memDriver) Name() string { return d.name }

func (d *memDriver) Is(path string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := os.Stat(path)
	return d.boxes[path] != nil && err == nil
}

func (d *memDriver) Create(path string, perm os.FileMode) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if errors.Is(err, os.ErrExist) {
		return storage.ErrExists
	}
	if err != nil {
		return err
	}
	f.Close()
	d.validity++
	d.boxes[path] = &memBox{validity: d.validity, next: 1, data: map[uint32][]byte{}}
	return nil
}

func (d *memDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	if !d.Is(path) {
		return nil, storage.ErrNoMailbox
	}
	f := &memFolder{d: d, path: path}
	if d.stage {
		return &memStager{f}, nil
	}
	if d.cacheFiles {
		return &memCacheFolder{f}, nil
	}
	return f, nil
}

func (d *memDriver) Delete(path string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.boxes, path)
	return os.Remove(path)
}

func (d *memDriver) Internal(name string) bool { return false }

// counts returns how many messages are being staged and were staged.
func (d *memDriver) counts() (staging, staged int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.staging, d.staged
}

type memFolder struct {
	d    *memDriver
	path string
}

func (f *memFolder) box() (*memBox, error) {
	b := f.d.boxes[f.path]
	if b == nil {
		return nil, storage.ErrNoMailbox
	}
	return b, nil
}

func (f *memFolder) Scan() (storage.Snapshot, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	b, err := f.box()
	if err != nil {
		return storage.Snapshot{}, err
	}
	return storage.Snapshot{UIDValidity: b.validity, UIDNext: b.next, Messages: append([]storage.Message(nil), b.msgs...)}, nil
}

func (f *memFolder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return storage.Message{}, err
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.addLocked(data, flags, date)
}

// addLocked stores a message; d.mu is held.
func (f *memFolder) addLocked(data []byte, flags []string, date time.Time) (storage.Message, error) {
	b, err := f.box()
	if err != nil {
		return storage.Message{}, err
	}
	m := storage.Message{UID: b.next, Flags: flags, InternalDate: date, Size: int64(len(data))}
	b.next++
	b.msgs = append(b.msgs, m)
	b.data[m.UID] = data
	return m, nil
}

func (f *memFolder) Open(uid uint32) (io.ReadCloser, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	b, err := f.box()
	if err != nil {
		return nil, err
	}
	data, ok := b.data[uid]
	if !ok {
		return nil, storage.ErrNoMessage
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (f *memFolder) SetFlags(uid uint32, flags []string) error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	b, err := f.box()
	if err != nil {
		return err
	}
	for i := range b.msgs {
		if b.msgs[i].UID == uid {
			b.msgs[i].Flags = flags
			return nil
		}
	}
	return storage.ErrNoMessage
}

func (f *memFolder) Seen(uids []uint32) error { return nil }

func (f *memFolder) Expunge(uids []uint32) error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	b, err := f.box()
	if err != nil {
		return err
	}
	gone := map[uint32]bool{}
	for _, u := range uids {
		gone[u] = true
		delete(b.data, u)
	}
	keep := b.msgs[:0]
	for _, m := range b.msgs {
		if !gone[m.UID] {
			keep = append(keep, m)
		}
	}
	b.msgs = keep
	return nil
}

func (f *memFolder) WatchPaths() []string { return nil }
func (f *memFolder) Close() error         { return nil }

// memCacheFolder is a memFolder with a cache file.
type memCacheFolder struct{ *memFolder }

func (f *memCacheFolder) CacheFile() string { return f.path + ".cache" }

// memStager is a memFolder that stages.
type memStager struct{ *memFolder }

func (f *memStager) Stage(r io.Reader, flags []string, date time.Time) (storage.Staged, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if f.d.stageHook != nil {
		f.d.stageHook()
	}
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	f.d.staging++
	f.d.staged++
	return &memStaged{f: f.memFolder, data: data, flags: flags, date: date}, nil
}

type memStaged struct {
	f     *memFolder
	data  []byte
	flags []string
	date  time.Time
	done  bool
}

func (s *memStaged) Commit() (storage.Message, error) {
	s.f.d.mu.Lock()
	defer s.f.d.mu.Unlock()
	if s.done {
		return storage.Message{}, fmt.Errorf("staged message committed twice")
	}
	s.done = true
	s.f.d.staging--
	return s.f.addLocked(s.data, s.flags, s.date)
}

func (s *memStaged) Abort() error {
	s.f.d.mu.Lock()
	defer s.f.d.mu.Unlock()
	if !s.done {
		s.done = true
		s.f.d.staging--
	}
	return nil
}

// dirEntries lists what is in dir, recursively, with sizes, for
// comparing a tree before and after an operation.
func dirEntries(dir string) map[string]int64 {
	out := map[string]int64{}
	filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := e.Info(); err == nil && !e.IsDir() {
			out[path] = fi.Size()
		} else {
			out[path] = -1
		}
		return nil
	})
	return out
}
