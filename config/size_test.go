package config

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"0", 0},
		{"65536", 65536},
		{"64KiB", 64 << 10},
		{"64kib", 64 << 10},
		{"64K", 64 << 10},
		{"64 KiB", 64 << 10},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"2TiB", 2 << 40},
		{"10B", 10},
		{"1kB", 1000},
		{"1KB", 1000},
		{"5MB", 5e6},
		{"1GB", 1e9},
		{" 8M ", 8 << 20},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "KiB", "-1", "1.5MiB", "64 parsecs", "9999999999999999999", "9000000TiB", "1 2"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestSizeString(t *testing.T) {
	for n, want := range map[Size]string{0: "0", 100: "100", 1024: "1KiB", 65536: "64KiB", 64 << 20: "64MiB", 1536: "1536", 3 << 30: "3GiB"} {
		if got := n.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", n, got, want)
		}
		if back, err := ParseSize(want); err != nil || back != n {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", want, back, err, n)
		}
	}
}

func TestSizeAndDurationForms(t *testing.T) {
	tests := []struct {
		src      string
		line     Size
		literal  Size
		timeout  time.Duration
		sleep    time.Duration
		expire   time.Duration
		problems int
	}{
		{"max-line-length = 8192\nmax-literal-size = 1048576\ntimeout = \"90s\"", 8192, 1 << 20, 90 * time.Second, time.Second, 10 * time.Minute, 0},
		{"max-line-length = \"16KiB\"\nmax-literal-size = \"1 GB\"\ntimeout = \"1h30m\"", 16 << 10, 1e9, 90 * time.Minute, time.Second, 10 * time.Minute, 0},
		{"timeout = \"0s\"", 64 << 10, 64 << 20, 0, time.Second, 10 * time.Minute, 0},
	}
	for _, tt := range tests {
		c := mustParse(t, "[[server]]\n"+tt.src+"\n[locking]\nretry-sleep = \""+tt.sleep.String()+"\"\nexpire-timeout = \""+tt.expire.String()+"\"\n")
		s := c.Servers[0]
		if s.MaxLineLength != tt.line || s.MaxLiteralSize != tt.literal || s.Timeout != tt.timeout {
			t.Errorf("%q: got line %d literal %d timeout %v", tt.src, s.MaxLineLength, s.MaxLiteralSize, s.Timeout)
		}
		if c.Locking.RetrySleep != tt.sleep || c.Locking.ExpireTimeout != tt.expire {
			t.Errorf("%q: locking %+v", tt.src, c.Locking)
		}
	}
}
