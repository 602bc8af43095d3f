package gateway

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/config"
)

// listenSyslog stands in for /dev/log: a unix datagram socket that
// OpenLog's syslog destination writes to.
func listenSyslog(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	t.Setenv(syslogSocketEnv, path)
	return ln
}

func readDatagram(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 64<<10)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

// Records reach syslog with the configured facility and each record's
// severity, in the configured format, without a time of their own
// (issue 8, item 27).
func TestLogToSyslog(t *testing.T) {
	for _, tc := range []struct {
		format config.LogFormat
		want   string
	}{
		{config.LogText, `level=WARN msg="disk full" path=/x`},
		{config.LogJSON, `{"level":"WARN","msg":"disk full","path":"/x"}`},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			sock := listenSyslog(t)
			l, err := OpenLog(config.Logging{Level: config.LogInfo, Destination: "syslog", Format: tc.format, SyslogFacility: "local3"}, LogOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			l.Logger().Debug("below the level")
			l.Logger().With("path", "/x").Warn("disk full")
			l.Logger().Error("broken")
			got := readDatagram(t, sock)
			// local3 is facility 19; warning is severity 4.
			if !strings.HasPrefix(got, "<156>") || !strings.Contains(got, "mailgate") || !strings.Contains(got, tc.want) {
				t.Errorf("syslog got %q, want <156>, mailgate and %q", got, tc.want)
			}
			if strings.Contains(got, "time=") || strings.Contains(got, `"time"`) {
				t.Errorf("syslog message carries its own time: %q", got)
			}
			if got := readDatagram(t, sock); !strings.HasPrefix(got, "<155>") || !strings.Contains(got, "broken") {
				t.Errorf("the error record: %q, want <155> (local3.err)", got)
			}
		})
	}
}

// A log file renamed away and reopened takes the following lines in a new
// file of the same name, as logrotate expects (issue 8, item 27).
func TestLogFileReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailgate.log")
	l, err := OpenLog(config.Logging{Level: config.LogInfo, Destination: path, Format: config.LogText, SyslogFacility: "mail"}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Logger().Info("first")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Logger().Info("second") // still the renamed file
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Logger().Info("third")
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "msg=first") || !strings.Contains(string(old), "msg=second") || strings.Contains(string(old), "third") {
		t.Errorf("the rotated file holds:\n%s", old)
	}
	if !strings.Contains(string(cur), "msg=third") || strings.Contains(string(cur), "first") {
		t.Errorf("the new file holds:\n%s", cur)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new log file: %v, %v", fi, err)
	}
}

// Without a syslog daemon, "syslog" falls back to standard error where it
// is usable (here, a test's), and says so.
func TestLogSyslogMissing(t *testing.T) {
	t.Setenv(syslogSocketEnv, filepath.Join(t.TempDir(), "none"))
	l, err := OpenLog(config.Logging{Level: config.LogInfo, Destination: "syslog", Format: config.LogText, SyslogFacility: "mail"}, LogOptions{})
	if err != nil {
		t.Fatalf("OpenLog without syslog: %v", err)
	}
	if l.syslog != nil || l.file != nil {
		t.Errorf("the log is not on standard error")
	}
	// Detached, standard error leads nowhere: nothing is logged.
	l, err = OpenLog(config.Logging{Level: config.LogInfo, Destination: "stderr", Format: config.LogText, SyslogFacility: "mail"}, LogOptions{Detached: true})
	if err != nil || l.Logger().Enabled(t.Context(), slog.LevelError) {
		t.Errorf("a detached daemon without syslog logs somewhere: %v", err)
	}
}
