package gateway

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"golang.org/x/sys/unix"
)

// Hibernation (hibernate-after): a session process that idles in IDLE
// ends, leaving its state with the daemon (sessionControl), which holds
// the connection at the cost of a goroutine and a few kilobytes, as
// Dovecot's imap-hibernate does. The client's next bytes, a change of
// the selected mailbox's files, the idle timeout or shutdown end the
// wait; the first two start a new session process that takes over
// exactly where the last one stopped (imap.Server.Resume).

// wakeBuffer is how much of the client's input one wake-up reads: DONE
// and what a client pipelines after it.
const wakeBuffer = 512

// sleep holds the connection of a hibernated session until it must wake,
// and returns the state to wake it with (what the client sent included);
// ok is false when the session ended instead. The session's files are
// watched as id, the session's identity: its session process named them.
func (g *Gateway) sleep(server int, link *clientLink, hib *hibernation, id identity, h *imap.HandedOff, log *slog.Logger) (st *imap.SessionState, ok bool) {
	st = hib.state
	st.Pending = hib.pending
	if len(st.Pending) > 0 {
		return st, true
	}
	changed, cancel, err := g.watcher().watch(hib.watch, id)
	if err != nil {
		// Without a watch, news would wait for the client: wake at once.
		log.Warn("mailgate: hibernation: cannot watch the mailbox; not hibernating", "err", err)
		return st, true
	}
	defer cancel()
	var timeout <-chan time.Time
	if d := g.serverTimeout(server); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	start := time.Now()
	c := link.conn
	c.SetReadDeadline(time.Time{})
	type read struct {
		data []byte
		err  error
	}
	input := make(chan read, 1)
	go func() {
		buf := make([]byte, wakeBuffer)
		n, err := c.Read(buf)
		input <- read{buf[:n], err}
	}()
	interrupt := func() read {
		c.SetReadDeadline(time.Now())
		r := <-input
		c.SetReadDeadline(time.Time{})
		return r
	}
	var r read
	var why string
	select {
	case r = <-input:
		why = "input"
	case <-changed:
		r, why = interrupt(), "mailbox change"
	case <-timeout:
		interrupt()
		goodbye(c, "* BYE Autologout; idle for too long\r\n")
		return nil, false
	case <-h.Stop:
		interrupt()
		if h.Kicked != nil && h.Kicked() != "" {
			goodbye(c, "* BYE "+KickReason+"\r\n") // "mailgate kick"
		} else {
			goodbye(c, "* BYE Server shutting down\r\n")
		}
		return nil, false
	}
	if len(r.data) == 0 && r.err != nil && !errors.Is(r.err, os.ErrDeadlineExceeded) {
		if !errors.Is(r.err, io.EOF) {
			log.Debug("mailgate: hibernated session's connection", "err", r.err)
		}
		return nil, false
	}
	log.Debug("mailgate: waking a hibernated session", "by", why, "after", time.Since(start))
	st.Pending = r.data
	return st, true
}

// goodbye writes a last line to a client.
func goodbye(c net.Conn, line string) {
	c.SetWriteDeadline(time.Now().Add(refuseTimeout))
	io.WriteString(c, line)
}

// serverTimeout is [[server]] timeout of listener server (0: none).
func (g *Gateway) serverTimeout(server int) time.Duration {
	if ss := g.conf().Servers; server >= 0 && server < len(ss) {
		return ss[server].Timeout
	}
	return 0
}

// watcher returns the daemon's inotify watcher, started at first use.
func (g *Gateway) watcher() *fileWatcher {
	g.watchOnce.Do(func() { g.watch = newFileWatcher(g.log) })
	return g.watch
}

// fileWatcher tells hibernated sessions that their mailbox's files
// changed: one inotify instance for the whole daemon.
type fileWatcher struct {
	log *slog.Logger

	mu      sync.Mutex
	fd      int
	err     error
	byPath  map[string]int32
	waiters map[int32]map[chan struct{}]struct{}
}

// watchMask is every change to a mailbox: maildir and MH files coming
// and going in a directory, an mbox file written or replaced. Not
// IN_CLOSE_WRITE nor IN_ATTRIB: a session that opens a file for writing
// without writing it (a lock, the modseq file) or touches its times
// changes no message, and waking for it let every session process that
// opened the mailbox wake the other hibernated sessions, in a loop that
// grew with their number.
const watchMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_MODIFY | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

func newFileWatcher(log *slog.Logger) *fileWatcher {
	w := &fileWatcher{log: log, byPath: map[string]int32{}, waiters: map[int32]map[chan struct{}]struct{}{}}
	w.fd, w.err = unix.InotifyInit1(unix.IN_CLOEXEC)
	if w.err == nil {
		go w.read()
	}
	return w
}

// watch returns a channel that receives when a file of paths (or, for a
// maildir, of its new and cur directories) changes; cancel stops it.
//
// A session process, which runs as its user, names the paths: they are
// looked at and watched with the user's file system identity (asUser),
// so that the root daemon watches only what the user may read. A path
// already watched for another session is asked for again all the same
// (inotify gives back the watch it has), for the same check.
func (w *fileWatcher) watch(paths []string, as identity) (changed <-chan struct{}, cancel func(), err error) {
	if w.err != nil {
		return nil, nil, w.err
	}
	ch := make(chan struct{}, 1)
	var wds []int32
	err = asUser(as, func() error {
		var all []string
		for _, p := range paths {
			all = append(all, p)
			for _, sub := range []string{"new", "cur"} {
				if fi, err := os.Stat(filepath.Join(p, sub)); err == nil && fi.IsDir() {
					all = append(all, filepath.Join(p, sub))
				}
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, p := range all {
			n, err := unix.InotifyAddWatch(w.fd, p, watchMask)
			if err != nil {
				w.removeLocked(ch, wds)
				return &os.PathError{Op: "inotify_add_watch", Path: p, Err: err}
			}
			wd := int32(n)
			w.byPath[p] = wd
			if w.waiters[wd] == nil {
				w.waiters[wd] = map[chan struct{}]struct{}{}
			}
			w.waiters[wd][ch] = struct{}{}
			wds = append(wds, wd)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.removeLocked(ch, wds)
	}, nil
}

// removeLocked forgets ch, and the watches nobody waits on any more.
func (w *fileWatcher) removeLocked(ch chan struct{}, wds []int32) {
	for _, wd := range wds {
		delete(w.waiters[wd], ch)
		if len(w.waiters[wd]) == 0 {
			delete(w.waiters, wd)
			for p, x := range w.byPath {
				if x == wd {
					delete(w.byPath, p)
				}
			}
			unix.InotifyRmWatch(w.fd, uint32(wd))
		}
	}
}

// read wakes the waiters of every watch that reports a change.
func (w *fileWatcher) read() {
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := unix.Read(w.fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			w.log.Error("mailgate: hibernation watcher stopped", "err", err)
			return
		}
		w.mu.Lock()
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := ""
			if ev.Len > 0 {
				b := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				name = string(bytes.TrimRight(b, "\x00"))
			}
			wake := func(chs map[chan struct{}]struct{}) {
				for ch := range chs {
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			}
			switch {
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				// Events were lost (wd -1): any mailbox may have
				// changed, so every hibernated session looks.
				for _, chs := range w.waiters {
					wake(chs)
				}
			case !storage.Bookkeeping(name):
				wake(w.waiters[ev.Wd])
			}
			if ev.Mask&unix.IN_IGNORED != 0 {
				// The watch is gone (its file was): forget it; its
				// waiters were just woken.
				delete(w.waiters, ev.Wd)
				for p, x := range w.byPath {
					if x == ev.Wd {
						delete(w.byPath, p)
					}
				}
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
		w.mu.Unlock()
	}
}
