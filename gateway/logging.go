package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"sync"
	"syscall"

	"github.com/mailgate/mailgate/config"
	"golang.org/x/sys/unix"
)

// syslogSocketEnv names a unix datagram socket that stands in for
// /dev/log. It exists for the tests alone, which cannot replace /dev/log.
const syslogSocketEnv = "MAILGATE_TEST_SYSLOG_SOCKET"

// LogOptions say how the process runs, for OpenLog's choice of where the
// logs go.
type LogOptions struct {
	// Stdio is set when the process serves one session on standard input
	// and output (inetd mode, --preauth, --test).
	Stdio bool
	// Detached is set in a daemon that detached from its terminal: its
	// standard error leads nowhere.
	Detached bool
}

// StderrUsable reports whether standard error may carry logs: it must be
// open and lead somewhere (not a detached daemon's), and, in a session on
// standard input and output, it must not be the client's connection.
// inetd passes the socket as fds 0, 1 and 2, and a terminal session shares
// one terminal: a standard error that is any socket, or the same file as
// fd 0 or fd 1, is refused.
func (o LogOptions) StderrUsable() bool {
	if o.Detached {
		return false
	}
	var errSt unix.Stat_t
	if err := unix.Fstat(2, &errSt); err != nil {
		return false
	}
	if !o.Stdio {
		return true
	}
	if errSt.Mode&unix.S_IFMT == unix.S_IFSOCK {
		return false
	}
	for _, fd := range []int{0, 1} {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Dev == errSt.Dev && st.Ino == errSt.Ino {
			return false
		}
	}
	return true
}

// Log is where the process logs, as [logging] and the way the process
// runs say.
type Log struct {
	logger *slog.Logger
	file   *logFile       // for a file destination
	syslog *syslog.Writer // for syslog
}

// OpenLog opens the log that cfg names. "stderr" is standard error where
// it is usable (see LogOptions.StderrUsable) and syslog elsewhere. When
// syslog cannot be reached, the log falls back to standard error if it is
// usable, and says so in its first line; otherwise nothing is logged, for
// nothing could be said safely. A file is opened for appending, created
// with mode 0600 if need be; Reopen opens it again.
func OpenLog(cfg config.Logging, opts LogOptions) (*Log, error) {
	dest := cfg.Destination
	if dest == config.LogStderr && !opts.StderrUsable() {
		dest = config.LogSyslog
	}
	l := &Log{}
	switch dest {
	case config.LogStderr:
		l.logger = slog.New(newHandler(os.Stderr, cfg, false))
	case config.LogSyslog:
		w, err := dialSyslog(cfg.SyslogFacility)
		if err != nil {
			if !opts.StderrUsable() {
				l.logger = slog.New(slog.DiscardHandler)
				return l, nil
			}
			l.logger = slog.New(newHandler(os.Stderr, cfg, false))
			l.logger.Warn("mailgate: syslog is not available; logging to standard error", "err", err)
			return l, nil
		}
		l.syslog = w
		l.logger = slog.New(newSyslogHandler(w, cfg))
	default:
		f, err := openLogFile(dest)
		if err != nil {
			return nil, err
		}
		l.file = f
		l.logger = slog.New(newHandler(f, cfg, false))
	}
	return l, nil
}

// Logger returns the logger.
func (l *Log) Logger() *slog.Logger { return l.logger }

// Reopen opens the log file again, after logrotate renamed it: the
// following lines go to a new file of the same name. It does nothing for
// the other destinations.
func (l *Log) Reopen() error {
	if l.file == nil {
		return nil
	}
	if err := l.file.reopen(); err != nil {
		l.logger.Error("mailgate: reopening the log file", "err", err)
		return err
	}
	l.logger.Info("mailgate: log file reopened", "path", l.file.path)
	return nil
}

// Close closes the log file or the syslog connection.
func (l *Log) Close() error {
	switch {
	case l.file != nil:
		return l.file.close()
	case l.syslog != nil:
		return l.syslog.Close()
	}
	return nil
}

// newHandler is the slog handler writing cfg's format at cfg's level to
// w; noTime leaves the time out (syslog stamps its messages itself).
func newHandler(w io.Writer, cfg config.Logging, noTime bool) slog.Handler {
	ho := &slog.HandlerOptions{Level: cfg.Level.SlogLevel()}
	if noTime {
		ho.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	if cfg.Format == config.LogJSON {
		return slog.NewJSONHandler(w, ho)
	}
	return slog.NewTextHandler(w, ho)
}

// logFile is a log file that can be opened again under the same name.
type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func openLogFile(path string) (*logFile, error) {
	f, err := openLogPath(path)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f}, nil
}

// openLogPath opens the log file at path for appending, creating it with
// mode 0600. It follows no link, and refuses a file that is not a
// regular one, has other names (a hard link someone made to a file of
// root's), or belongs to a user other than root and the daemon's: in a
// sticky directory (/tmp) someone else may have made it first.
func openLogPath(path string) (*os.File, error) {
	// O_NONBLOCK: a FIFO planted there (in a sticky /tmp) must not hold
	// the open for ever; it changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("log file %s is a symbolic link; name the file itself", path)
		}
		return nil, fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkLogFile(fi)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log file %s: %w", path, err)
	}
	return f, nil
}

// checkLogFile refuses a log file that someone else could read or that
// is another file under a second name.
func checkLogFile(fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if st.Uid != 0 && st.Uid != dirOwnerUID() {
		return fmt.Errorf("belongs to uid %d; remove it, or log elsewhere", st.Uid)
	}
	if st.Nlink > 1 {
		return fmt.Errorf("has %d names (hard links); remove the others, or log elsewhere", st.Nlink)
	}
	return nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

func (l *logFile) reopen() error {
	f, err := openLogPath(l.path)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	return old.Close()
}

func (l *logFile) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// dialSyslog connects to the local syslog daemon (/dev/log) with the
// facility named.
func dialSyslog(facility string) (*syslog.Writer, error) {
	f, ok := config.SyslogFacility(facility)
	if !ok {
		return nil, fmt.Errorf("unknown syslog facility %q", facility)
	}
	network, addr := "", ""
	if path := os.Getenv(syslogSocketEnv); path != "" {
		network, addr = "unixgram", path
	}
	return syslog.Dial(network, addr, syslog.Priority(f)|syslog.LOG_INFO, "mailgate")
}

// syslogSink sends what a handler writes to syslog at the severity of the
// record being written. One sink is shared by a handler and those derived
// from it; its lock holds from choosing the severity to the write.
type syslogSink struct {
	w     *syslog.Writer
	mu    sync.Mutex
	level slog.Level
}

func (s *syslogSink) Write(p []byte) (int, error) {
	m := string(p)
	var err error
	switch {
	case s.level >= slog.LevelError:
		err = s.w.Err(m)
	case s.level >= slog.LevelWarn:
		err = s.w.Warning(m)
	case s.level >= slog.LevelInfo:
		err = s.w.Info(m)
	default:
		err = s.w.Debug(m)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// syslogHandler formats records with the configured handler and sends
// each to syslog with its level's severity.
type syslogHandler struct {
	inner slog.Handler
	sink  *syslogSink
}

func newSyslogHandler(w *syslog.Writer, cfg config.Logging) *syslogHandler {
	sink := &syslogSink{w: w}
	return &syslogHandler{inner: newHandler(sink, cfg, true), sink: sink}
}

func (h *syslogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *syslogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	h.sink.level = r.Level
	return h.inner.Handle(ctx, r)
}

func (h *syslogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &syslogHandler{inner: h.inner.WithAttrs(attrs), sink: h.sink}
}

func (h *syslogHandler) WithGroup(name string) slog.Handler {
	return &syslogHandler{inner: h.inner.WithGroup(name), sink: h.sink}
}
