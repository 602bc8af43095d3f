package needs

import "testing"

// recorder is a testing.TB that records how the test ended.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skip(args ...any)                  { r.skipped, r.msg = true, args[0].(string) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed, r.msg = true, format }

func TestMissing(t *testing.T) {
	for _, tt := range []struct {
		ci           string
		skip, failed bool
	}{
		{"", true, false},
		{"false", true, false},
		{"1", false, true},
		{"true", false, true},
	} {
		t.Setenv("CI", tt.ci)
		r := &recorder{TB: t}
		Missing(r, "%s is not installed", "tool")
		if r.skipped != tt.skip || r.failed != tt.failed {
			t.Errorf("CI=%q: skipped %v, failed %v; want %v, %v", tt.ci, r.skipped, r.failed, tt.skip, tt.failed)
		}
	}
}
