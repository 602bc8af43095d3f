package gateway

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// firstListenFD is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const firstListenFD = 3

// activated holds the listening sockets systemd passed (socket
// activation: LISTEN_PID and LISTEN_FDS, as sd_listen_fds(3) reads them),
// until each is claimed by the listener whose address it is bound to.
type activated struct {
	lns []net.Listener
}

// socketActivation takes the sockets systemd passed to this process, if
// any, and clears the variables, so that no child takes them for its own.
// Only stream sockets that are listening are taken.
func socketActivation() (*activated, error) {
	pid, fds := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	if fds == "" || pid != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("socket activation: LISTEN_FDS=%q is not a number", fds)
	}
	a := &activated{}
	for fd := firstListenFD; fd < firstListenFD+n; fd++ {
		f := os.NewFile(uintptr(fd), "LISTEN_FDS "+strconv.Itoa(fd))
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			a.close()
			return nil, fmt.Errorf("socket activation: descriptor %d: %w (ListenStream= sockets only)", fd, err)
		}
		a.lns = append(a.lns, ln)
	}
	return a, nil
}

// take returns the passed socket bound to address (host:port; an empty
// or unspecified host matches a socket bound to every address), or,
// when only one socket was passed for only one listener, that one.
func (a *activated) take(address string, only bool) net.Listener {
	if a == nil {
		return nil
	}
	for i, ln := range a.lns {
		if sameAddress(address, ln.Addr().String()) {
			a.lns = append(a.lns[:i], a.lns[i+1:]...)
			return ln
		}
	}
	if only && len(a.lns) == 1 {
		ln := a.lns[0]
		a.lns = nil
		return ln
	}
	return nil
}

// close closes the sockets nobody claimed.
func (a *activated) close() {
	if a == nil {
		return
	}
	for _, ln := range a.lns {
		ln.Close()
	}
	a.lns = nil
}

// sameAddress reports whether a configured host:port names the bound
// address of a socket.
func sameAddress(configured, bound string) bool {
	ch, cp, err := net.SplitHostPort(configured)
	if err != nil {
		return false
	}
	bh, bp, err := net.SplitHostPort(bound)
	if err != nil || cp != bp {
		return false
	}
	ba, berr := netip.ParseAddr(bh)
	if ch == "" || ch == "0.0.0.0" || ch == "::" {
		return berr == nil && ba.IsUnspecified()
	}
	ca, cerr := netip.ParseAddr(ch)
	if cerr != nil || berr != nil {
		return strings.EqualFold(ch, bh)
	}
	return ca.Unmap() == ba.Unmap()
}
