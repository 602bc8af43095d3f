package tlsmgr_test

import (
	"context"
	"crypto/tls"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/mailgate/mailgate/tlsmgr"
)

// The common case: a certificate for mail.example.org from Let's Encrypt,
// served on the IMAPS listener, which also answers TLS-ALPN-01 once port
// 443 is forwarded to it; HTTP-01 uses port 80 while a challenge is open.
func Example() {
	m, err := tlsmgr.New(tlsmgr.Options{
		ACME: tlsmgr.ACMEOptions{
			Domains: []string{"mail.example.org"},
			Email:   "postmaster@example.org",
			Storage: "/var/lib/mailgate/acme",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Stop()

	ln, err := tls.Listen("tcp", ":993", m.TLSConfig("imap"))
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()

	// SIGHUP re-reads static certificate files; ACME renews by itself.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := m.Reload(); err != nil {
				log.Print(err) // the old certificate stays in use
			}
		}
	}()
	// ... accept IMAP connections on ln ...
}

// Static files with imap4d's safety checks, relaxed for a key that its
// group may read.
func ExampleParseChecks() {
	checks, err := tlsmgr.ParseChecks([]string{"-grdfil"}, tlsmgr.DefaultKeyChecks)
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.WriteString(checks.String() + "\n")
	// Output: ardfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir
}
