package auth

import (
	"strings"
	"testing"
)

func TestParseQuota(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Quota
		err  string
	}{
		{"", Quota{}, ""},
		{"storage=5G,messages=10000", Quota{Storage: 5 << 30, Messages: 10000}, ""},
		{" storage = 512KiB ", Quota{Storage: 512 << 10}, ""},
		{"storage=2MB", Quota{Storage: 2e6}, ""},
		{"STORAGE=100", Quota{Storage: 100}, ""},
		{"storage=0,messages=none", Quota{Storage: Unlimited, Messages: Unlimited}, ""},
		{"storage=5X", Quota{}, `"5X" is not a number`},
		{"messages=1K", Quota{}, `"1K" is not a number`},
		{"bytes=5", Quota{}, `resource "bytes" is not storage or messages`},
		{"storage", Quota{}, "want resource=value"},
		{"storage=99999999999T", Quota{}, "too large"},
		{"storage=-5", Quota{}, "not a number"},
	} {
		got, err := ParseQuota(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestUsersFileQuotaField: the eighth field is read, a line without it
// keeps passwd(5)'s seven fields when written back, and a bad one names
// its line.
func TestUsersFileQuotaField(t *testing.T) {
	tab, err := parseUsers([]byte("a:{PLAIN}x:::::\nb:{PLAIN}x:::::/bin/false:storage=1M,messages=5\n"), "users", "/data")
	if err != nil {
		t.Fatal(err)
	}
	a, b := tab.byName["a"], tab.byName["b"]
	if a.user.Quota != (Quota{}) || b.user.Quota != (Quota{Storage: 1 << 20, Messages: 5}) {
		t.Fatalf("quotas %+v %+v", a.user.Quota, b.user.Quota)
	}
	if got := formatLine(&a.fields); got != "a:{PLAIN}x:::::" {
		t.Errorf("seven-field line written back as %q", got)
	}
	if got := formatLine(&b.fields); got != "b:{PLAIN}x:::::/bin/false:storage=1M,messages=5" {
		t.Errorf("eight-field line written back as %q", got)
	}
	_, err = parseUsers([]byte("a:{PLAIN}x\nb:{PLAIN}x::::::storage=lots\n"), "users", "/data")
	if err == nil || !strings.Contains(err.Error(), "users:2: ") || !strings.Contains(err.Error(), `"lots"`) {
		t.Fatalf("bad quota field: %v", err)
	}
}

// FuzzParseQuota: the quota field parser never panics, and what it
// accepts reads back the same from its String form.
func FuzzParseQuota(f *testing.F) {
	for _, s := range []string{"", "storage=5G,messages=10000", "storage=none", "messages=0", "storage=1 KiB", "x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuota(s)
		if err != nil {
			return
		}
		if q.Storage < Unlimited || q.Messages < Unlimited {
			t.Fatalf("%q: negative limit %+v", s, q)
		}
		again, err := ParseQuota(q.String())
		if err != nil || again != q {
			t.Fatalf("%q: %+v reads back from %q as %+v, %v", s, q, q.String(), again, err)
		}
	})
}
