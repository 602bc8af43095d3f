package auth

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// startFreeRADIUS starts freeradius -X on 127.0.0.1 with a temporary
// radiusd.conf (pap and files), one client (127.0.0.1, secret
// "testing123", Message-Authenticator required) and a users file: ann
// ("radius pw"). It returns the server's host:port.
func startFreeRADIUS(t *testing.T) string {
	bin := needPrograms(t, "freeradius", "freeradius")
	dir, _, _ := serverDir(t, "radius", "")
	port := freePort(t, "udp")
	writeFile(t, filepath.Join(dir, "users"), "ann\tCleartext-Password := \"radius pw\"\n")
	writeFile(t, filepath.Join(dir, "dictionary"), "")
	writeFile(t, filepath.Join(dir, "radiusd.conf"), fmt.Sprintf(`prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = %[1]s
raddbdir = %[1]s
radacctdir = %[1]s
name = freeradius
confdir = %[1]s
modconfdir = %[1]s
run_dir = %[1]s
db_dir = %[1]s
libdir = /usr/lib/freeradius
pidfile = %[1]s/radiusd.pid
max_request_time = 5
cleanup_delay = 1
max_requests = 256
hostname_lookups = no
log {
	destination = stdout
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 1
	max_servers = 2
	min_spare_servers = 1
	max_spare_servers = 2
}
client localhost {
	ipaddr = 127.0.0.1
	secret = testing123
	require_message_authenticator = yes
}
modules {
	pap {
		normalise = yes
	}
	files {
		filename = %[1]s/users
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = %[2]d
	}
	authorize {
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
}
`, dir, port))
	startServer(t, dir, "freeradius", exec.Command(bin["freeradius"], "-X", "-d", dir))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Ready once it answers: a reject for a user it does not have.
	probe, err := NewRADIUS(&RADIUSOptions{Server: addr, Secret: "testing123", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, "freeradius", func() bool {
		_, err := probe.Authenticate(context.Background(), "probe", "probe")
		return errors.Is(err, ErrBadCredentials)
	})
	return addr
}

func TestRADIUS(t *testing.T) {
	addr := startFreeRADIUS(t)
	ctx := context.Background()
	r, err := NewRADIUS(&RADIUSOptions{Server: addr, Secret: "testing123", Timeout: 2 * time.Second, Retries: 1,
		Home: "/var/vmail/$user", UID: 5000, GID: 5000, CacheTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	u, err := r.Authenticate(ctx, "ann", "radius pw")
	if err != nil {
		t.Fatal(err)
	}
	if want := (User{Name: "ann", UID: 5000, GID: 5000, Home: "/var/vmail/ann"}); *u != want {
		t.Errorf("ann = %+v, want %+v", *u, want)
	}
	for _, tc := range []struct{ name, pw string }{{"ann", "Radius pw"}, {"nobody", "radius pw"}} {
		if _, err := r.Authenticate(ctx, tc.name, tc.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%s: %v, want ErrBadCredentials", tc.name, err)
		}
	}
	t.Run("wrong secret", func(t *testing.T) {
		// The server drops requests it cannot authenticate: no answer.
		bad, _ := NewRADIUS(&RADIUSOptions{Server: addr, Secret: "not the secret", Timeout: 300 * time.Millisecond, Retries: 1})
		if _, err := bad.Authenticate(ctx, "ann", "radius pw"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		down, _ := NewRADIUS(&RADIUSOptions{Server: fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp")), Secret: "testing123",
			Timeout: 200 * time.Millisecond, Retries: 2})
		if _, err := down.Authenticate(ctx, "ann", "radius pw"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredentials) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("cached while the server is away", func(t *testing.T) {
		r.addr = fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp"))
		r.opts.Timeout, r.opts.Retries = 200*time.Millisecond, 0
		if _, err := r.Authenticate(ctx, "ann", "radius pw"); err != nil {
			t.Errorf("cached login: %v", err)
		}
		if _, err := r.Authenticate(ctx, "ann", "Radius pw"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("wrong password, server away: %v, want ErrUnavailable", err)
		}
	})
}
