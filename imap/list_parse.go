package imap

import (
	"strings"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

// listCommand is what a LIST command asks for: RFC 3501 section 6.3.8,
// with the extended syntax of RFC 5258 section 3, the SPECIAL-USE
// options of RFC 6154 section 3 and the STATUS return option of RFC 5819.
type listCommand struct {
	ref      string
	patterns []string

	// Selection options (RFC 5258 section 3.1, RFC 6154 section 3).
	selectSubscribed bool
	selectSpecialUse bool
	recursiveMatch   bool
	remote           bool // accepted; there are no remote mailboxes

	// Return options (RFC 5258 section 3.2, RFC 6154, RFC 5819).
	returnSubscribed bool
	returnChildren   bool
	returnSpecialUse bool
	returnStatus     []string // STATUS data items; nil when not asked
}

// parseList reads a LIST command's arguments after the command name,
// up to and including the CRLF:
//
//	list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
//	       [SP list-return-opts]
//
// An unknown option, or RECURSIVEMATCH without an option it could
// modify, is a BAD (RFC 5258 section 3).
func parseList(d *wire.Decoder) (*listCommand, error) {
	lc := &listCommand{}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, _ := d.Peek(); b == '(' {
		if err := lc.selectOptions(d); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	var err error
	if lc.ref, err = d.AString(); err != nil {
		return nil, err
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, _ := d.Peek(); b == '(' {
		err = d.List(func() error {
			p, err := d.ListMailbox()
			lc.patterns = append(lc.patterns, p)
			return err
		})
		if err == nil && len(lc.patterns) == 0 {
			err = bad("LIST needs at least one pattern")
		}
	} else {
		var p string
		p, err = d.ListMailbox()
		lc.patterns = []string{p}
	}
	if err != nil {
		return nil, err
	}
	if d.Maybe(' ') {
		if err := lc.returnOptions(d); err != nil {
			return nil, err
		}
	}
	if err := d.CRLF(); err != nil {
		return nil, err
	}
	return lc, nil
}

// selectOptions reads list-select-opts (RFC 5258 section 3.1).
func (lc *listCommand) selectOptions(d *wire.Decoder) error {
	err := d.List(func() error {
		opt, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(opt) {
		case "SUBSCRIBED":
			lc.selectSubscribed = true
			// SUBSCRIBED implies the SUBSCRIBED return option.
			lc.returnSubscribed = true
		case "REMOTE":
			lc.remote = true
		case "RECURSIVEMATCH":
			lc.recursiveMatch = true
		case "SPECIAL-USE":
			lc.selectSpecialUse = true
			// It implies the SPECIAL-USE return option (RFC 6154 section 3).
			lc.returnSpecialUse = true
		default:
			return bad("Unknown LIST selection option %s", sanitize(opt))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if lc.recursiveMatch && !lc.selectSubscribed {
		return bad("RECURSIVEMATCH needs the SUBSCRIBED selection option")
	}
	return nil
}

// returnOptions reads list-return-opts (RFC 5258 section 3.2, RFC 5819
// section 2).
func (lc *listCommand) returnOptions(d *wire.Decoder) error {
	word, err := d.Atom()
	if err != nil {
		return err
	}
	if !strings.EqualFold(word, "RETURN") {
		return bad("Expected RETURN, found %s", sanitize(word))
	}
	if err := d.SP(); err != nil {
		return err
	}
	return d.List(func() error {
		opt, err := d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(opt) {
		case "SUBSCRIBED":
			lc.returnSubscribed = true
		case "CHILDREN":
			lc.returnChildren = true
		case "SPECIAL-USE":
			lc.returnSpecialUse = true
		case "STATUS":
			if err := d.SP(); err != nil {
				return err
			}
			items, err := statusItems(d)
			if err != nil {
				return err
			}
			if len(items) == 0 {
				return bad("RETURN (STATUS ()) names no STATUS item")
			}
			lc.returnStatus = append(lc.returnStatus, items...)
		default:
			return bad("Unknown LIST return option %s", sanitize(opt))
		}
		return nil
	})
}
