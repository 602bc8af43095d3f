package gateway_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

// Example builds a gateway with the IMAP and LMTP frontends that its
// configuration names and a frontend of the program's own, runs it, and
// delivers a message over LMTP into the INBOX that IMAP serves.
// examples/embed is the same as a whole program.
func Example() {
	dir, err := os.MkdirTemp("", "mailgate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`data-dir = %q
[[server]]
address = "127.0.0.1:0"
[lmtp]
listen = ["127.0.0.1:0"]
`, dir)), "example.toml")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := gateway.EnsureUser(cfg.UsersFile()); err != nil { // the user "mailgate"
		log.Fatal(err)
	}
	addrs := make(chan net.Addr, 3)
	g, err := gateway.New(cfg, gateway.Options{
		Logger: slog.New(slog.DiscardHandler),
		Ready:  func(a net.Addr) { addrs <- a },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	// A frontend of the program's own, beside IMAP and LMTP: any
	// gateway.Frontend (see echoFrontend in this package's tests).
	if err := g.Register("echo", &echoFrontend{}, gateway.Listener{Address: "127.0.0.1:0"}); err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-addrs // IMAP, then LMTP, then the registered frontends
	lmtpAddr := (<-addrs).String()
	<-addrs

	nc, err := net.Dial("tcp", lmtpAddr)
	if err != nil {
		log.Fatal(err)
	}
	c := smtp.NewClientLMTP(nc)
	if err := c.Hello("mta.example.org"); err != nil {
		log.Fatal(err)
	}
	if err := c.Mail("sender@example.net", nil); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt("mailgate@example.org", nil); err != nil {
		log.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		log.Fatal(err)
	}
	w.Write([]byte("Subject: hello\r\n\r\nDelivered through the embedded gateway.\r\n"))
	resp, err := w.CloseWithLMTPResponse()
	if err != nil {
		log.Fatal(err)
	}
	for rcpt, r := range resp {
		fmt.Println(rcpt, "stored:", strings.Fields(r.StatusText)[0]) // 250 2.0.0 once on disk
	}
	c.Quit()

	stop()
	fmt.Println("stopped:", <-done)
	// Output:
	// mailgate@example.org stored: 2.0.0
	// stopped: <nil>
}
