package tlsmgr

import "testing"

func TestMode(t *testing.T) {
	tests := []struct {
		name                          string
		mode                          Mode
		startTLS, implicit, needsCert bool
	}{
		{"no", ModeNo, false, false, false},
		{"ondemand", ModeOnDemand, true, false, true},
		{"required", ModeRequired, true, false, true},
		{"connection", ModeConnection, false, true, true},
	}
	for _, tt := range tests {
		m, err := ParseMode(tt.name)
		if err != nil || m != tt.mode {
			t.Errorf("ParseMode(%q) = %v, %v", tt.name, m, err)
		}
		if b, err := m.MarshalText(); err != nil || string(b) != tt.name {
			t.Errorf("%v.MarshalText() = %q, %v", m, b, err)
		}
		var back Mode
		if err := back.UnmarshalText([]byte(tt.name)); err != nil || back != m {
			t.Errorf("UnmarshalText(%q) = %v, %v", tt.name, back, err)
		}
		if m.StartTLS() != tt.startTLS || m.Implicit() != tt.implicit || m.NeedsCertificate() != tt.needsCert {
			t.Errorf("%v: StartTLS %v Implicit %v NeedsCertificate %v", m, m.StartTLS(), m.Implicit(), m.NeedsCertificate())
		}
	}
	for _, bad := range []string{"", "No", "starttls", "tls", "true"} {
		if m, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q) = %v, want an error", bad, m)
		}
	}
	if Mode(4).Valid() || Mode(4).String() != "Mode(4)" {
		t.Errorf("Mode(4): valid %v, %s", Mode(4).Valid(), Mode(4))
	}
	if _, err := Mode(4).MarshalText(); err == nil {
		t.Error("an invalid mode marshals")
	}
}
