package clienthost

import (
	"net/netip"
	"testing"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct {
		addr string
		bits int
		want string
	}{
		{"192.0.2.7", SiteBits, "192.0.2.7"},
		{"::ffff:192.0.2.7", HostBits, "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", HostBits, "2001:db8:1:2::"},
		{"2001:db8:1:2:3:4:5:6", SiteBits, "2001:db8:1::"},
		{"2001:db8:1:ffff::1", SiteBits, "2001:db8:1::"},
		{"fe80::1%eth0", HostBits, "fe80::"},
	} {
		if got := Key(netip.MustParseAddr(tc.addr), tc.bits); got != netip.MustParseAddr(tc.want) {
			t.Errorf("Key(%s, %d) = %v; want %s", tc.addr, tc.bits, got, tc.want)
		}
	}
	if got := Key(netip.Addr{}, SiteBits); got.IsValid() {
		t.Errorf("Key of the zero Addr = %v; want it zero", got)
	}
}
