package imap

import (
	"slices"
	"strconv"
	"strings"
)

// capabilities lists what this connection supports now (RFC 3501 section
// 6.1.1): what depends on TLS and login state changes as they do.
func (s *session) capabilities() string {
	caps := []string{"IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "IDLE", "NAMESPACE",
		"UNSELECT", "UIDPLUS", "MOVE", "ENABLE", "ESEARCH", "SEARCHRES", "MULTIAPPEND", "CATENATE", "URLAUTH", "NOTIFY", "BINARY", "APPENDLIMIT=" + strconv.FormatInt(s.opts.MaxLiteral, 10),
		"STATUS=SIZE", "LIST-EXTENDED", "LIST-STATUS",
		"SPECIAL-USE", "CREATE-SPECIAL-USE", "OBJECTID", "CONDSTORE", "QRESYNC",
		"UTF8=ACCEPT", "QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE",
		"SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "THREAD=REFS", "ESORT", "PARTIAL", "CONTEXT=SEARCH", "CONTEXT=SORT"}
	if s.srv.rev2Offered() {
		caps = slices.Insert(caps, 1, "IMAP4rev2")
	}
	if s.state == stateNotAuth {
		if s.canStartTLS() {
			if s.srv.tlsRequired() {
				caps = append(caps, "XTLSREQUIRED") // as imap4d 3.15 says it
			}
			caps = append(caps, "STARTTLS")
		}
		// login-disabled refuses LOGIN only. Mechanisms that send a
		// password or a token need TLS unless plaintext is allowed;
		// EXTERNAL needs a client certificate, -PLUS channel binding;
		// a tls-mode required listener offers none before STARTTLS
		// (RFC 9051 section 6.2.1's example; Dovecot's ssl = required).
		for _, m := range s.saslConn().Advertised {
			caps = append(caps, "AUTH="+m)
		}
		if s.opts.LoginDisabled || !s.plaintextOK() {
			caps = append(caps, "LOGINDISABLED")
		}
	} else {
		caps = append(caps, "COMPRESS=DEFLATE") // compress.go
	}
	return strings.Join(caps, " ")
}

func (s *session) canStartTLS() bool {
	return !s.tls && s.opts.TLSConfig != nil && s.opts.TLSMode.StartTLS()
}

// cmdCapability: RFC 3501 section 6.1.1.
func (s *session) cmdCapability(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	s.e.Raw("* CAPABILITY ").Raw(s.capabilities()).CRLF()
	return nil
}

// cmdNoop: RFC 3501 sections 6.1.2 (NOOP) and 6.4.1 (CHECK). Pending
// updates are sent by the dispatcher.
func (s *session) cmdNoop(tag string, _ bool) error {
	return s.d.CRLF()
}

// cmdLogout: RFC 3501 section 6.1.3.
func (s *session) cmdLogout(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	s.e.Raw("* BYE Logging out\r\n")
	s.state = stateLogout
	if s.view != nil {
		s.view.Close()
		s.view = nil
	}
	// The slot is free before the tagged OK, so that a client that
	// reconnects as soon as it reads the OK finds it free.
	err := s.e.Flush()
	s.release()
	return err
}

// cmdEnable: RFC 5161, for CONDSTORE and QRESYNC (RFC 7162 sections
// 3.1 and 3.2.3; QRESYNC enables CONDSTORE too), UTF8=ACCEPT (RFC 6855
// section 3) and IMAP4rev2 (RFC 9051 section 6.3.1). ENABLED names what
// this command turned on (or found on).
func (s *session) cmdEnable(tag string, _ bool) error {
	var names []string
	for {
		if err := s.d.SP(); err != nil {
			break
		}
		a, err := s.d.Atom()
		if err != nil {
			return err
		}
		names = append(names, strings.ToUpper(a))
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	// Each extension named is listed once it is on, even if an earlier
	// command turned it on implicitly, as Dovecot answers.
	var enabled []string
	for _, n := range names {
		switch n {
		case "CONDSTORE":
			s.enableCondStore()
		case "QRESYNC":
			s.qresync = true
			s.enableCondStore()
		case "UTF8=ACCEPT":
			s.enableUTF8(true)
			n = "UTF8=ACCEPT"
		case "IMAP4REV2":
			if !s.srv.rev2Offered() {
				continue
			}
			s.rev2 = true
			s.enableUTF8(false)
			n = "IMAP4rev2"
		default:
			continue
		}
		if !slices.Contains(enabled, n) {
			enabled = append(enabled, n)
		}
	}
	s.e.Raw("* ENABLED")
	for _, n := range enabled {
		s.e.SP().Raw(n)
	}
	s.e.CRLF()
	return nil
}
