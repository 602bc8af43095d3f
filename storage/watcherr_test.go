package storage

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// TestWatchErrorLevels: a watch already gone (EINVAL, fsnotify removing a
// watch the kernel dropped) is not a warning; a queue overflow is, with
// what to do; anything else is a plain warning.
func TestWatchErrorLevels(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string // level and a part of the message
	}{
		{fmt.Errorf("remove watch: %w", syscall.EINVAL), "level=DEBUG"},
		{fsnotify.ErrEventOverflow, `level=WARN msg="storage: file watcher: the kernel's event queue overflowed`},
		{syscall.EIO, `level=WARN msg="storage: file watcher"`},
	} {
		var buf bytes.Buffer
		s := &Store{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		s.logWatchError(tc.err)
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%v logged %q, want %q", tc.err, buf.String(), tc.want)
		}
	}
}
