package config

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParsePreauth(t *testing.T) {
	tests := []struct {
		in   string
		want Preauth
	}{
		{"", Preauth{}},
		{"stdio", Preauth{Method: "stdio"}},
		{"ident", Preauth{Method: "ident", IdentPort: "113"}},
		{"ident://:1113", Preauth{Method: "ident", IdentPort: "1113"}},
		{"ident://:auth", Preauth{Method: "ident", IdentPort: "auth"}},
		{"ident://gw.example:113", Preauth{Method: "ident", IdentHost: "gw.example", IdentPort: "113"}},
		{"prog:///usr/sbin/who", Preauth{Method: "prog", Program: "/usr/sbin/who", Args: []string{}}},
		{"prog:///usr/sbin/who -a ${client_address}  ${client_port}", Preauth{Method: "prog", Program: "/usr/sbin/who",
			Args: []string{"-a", "${client_address}", "${client_port}"}}},
	}
	for _, tt := range tests {
		got, err := ParsePreauth(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePreauth(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"pam", "ident:", "ident://", "ident://host", "ident://:", "ident://:99999",
		"prog://", "prog://who", "prog:///who ${user}", "STDIO"} {
		if got, err := ParsePreauth(bad); err == nil {
			t.Errorf("ParsePreauth(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestACLMatches(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		from string
		addr netip.Addr
		want bool
	}{
		{"any", ip("192.0.2.1"), true},
		{"any", netip.Addr{}, true},
		{"10.0.0.0/8", ip("10.1.2.3"), true},
		{"10.0.0.0/8", ip("11.1.2.3"), false},
		{"10.0.0.0/8", ip("::ffff:10.1.2.3"), true},
		{"10.0.0.0/8", netip.Addr{}, false},
		{"10.1.2.3/8", ip("10.9.9.9"), true},
		{"192.0.2.7", ip("192.0.2.7"), true},
		{"192.0.2.7", ip("192.0.2.8"), false},
		{"2001:db8::/32", ip("2001:db8::1"), true},
		{"::1", ip("::1"), true},
		{"bogus", ip("10.0.0.1"), false},
	}
	for _, tt := range tests {
		if got := (ACL{Action: ACLDeny, From: tt.from}).Matches(tt.addr); got != tt.want {
			t.Errorf("ACL from %q Matches(%v) = %v, want %v", tt.from, tt.addr, got, tt.want)
		}
	}
	if _, ok, err := (ACL{From: "any"}).Prefix(); ok || err != nil {
		t.Errorf("any: ok %v err %v", ok, err)
	}
}
