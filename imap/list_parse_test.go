package imap

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

func parseListLine(line string) (*listCommand, error) {
	d := wire.NewDecoder(wire.NewReader(strings.NewReader(line)))
	d.MaxLine = 1 << 16
	d.MaxLiteral = 1 << 16
	return parseList(d)
}

// TestParseList: RFC 5258 section 3's syntax, RFC 5819's STATUS return
// option, and the BADs that section 3 asks for.
func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		line string
		want *listCommand // nil: a BAD or syntax error
	}{
		{` "" "*"` + "\r\n", &listCommand{ref: "", patterns: []string{"*"}}},
		{` ~smith/ %` + "\r\n", &listCommand{ref: "~smith/", patterns: []string{"%"}}},
		{` (SUBSCRIBED) "" ("a/*" b)` + "\r\n", &listCommand{patterns: []string{"a/*", "b"},
			selectSubscribed: true, returnSubscribed: true}},
		{` (subscribed recursivematch remote) "" % RETURN (children)` + "\r\n", &listCommand{patterns: []string{"%"},
			selectSubscribed: true, returnSubscribed: true, recursiveMatch: true, remote: true, returnChildren: true}},
		{` () "" % return (STATUS (messages size) SUBSCRIBED)` + "\r\n", &listCommand{patterns: []string{"%"},
			returnStatus: []string{"MESSAGES", "SIZE"}, returnSubscribed: true}},
		{` "" "" RETURN ()` + "\r\n", &listCommand{patterns: []string{""}}},
		{` (SPECIAL-USE) "" *` + "\r\n", &listCommand{patterns: []string{"*"}, selectSpecialUse: true, returnSpecialUse: true}},
		{` "" * RETURN (SPECIAL-USE)` + "\r\n", &listCommand{patterns: []string{"*"}, returnSpecialUse: true}},
		{` (SPECIAL-USE RECURSIVEMATCH) "" *` + "\r\n", nil},
		{` (imaptest) "" ""` + "\r\n", nil},
		{` (recursivematch) "" ""` + "\r\n", nil},
		{` (recursivematch remote) "" ""` + "\r\n", nil},
		{` "" "" return (imaptest)` + "\r\n", nil},
		{` "" "" RETURN (STATUS ())` + "\r\n", nil},
		{` "" "" RETURN (STATUS (BOGUS))` + "\r\n", nil},
		{` "" ()` + "\r\n", nil},
		{` "" % EXTRA (x)` + "\r\n", nil},
		{` "" %`, nil},
	} {
		got, err := parseListLine(tc.line)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%q: parsed as %+v, want an error", tc.line, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.line, got, tc.want)
		}
	}
}

// FuzzParseList: the LIST argument parser never panics or hangs, and
// what it accepts has a pattern.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{
		` "" "*"` + "\r\n",
		` (SUBSCRIBED RECURSIVEMATCH) "" ("a/%" {3}` + "\r\nb/c)\r\n",
		` () "" % RETURN (CHILDREN SUBSCRIBED STATUS (MESSAGES UNSEEN SIZE DELETED))` + "\r\n",
		` (REMOTE) ~bob/ * return ()` + "\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := wire.NewDecoder(wire.NewReader(bytes.NewReader(data)))
		d.MaxLine = 1 << 12
		d.MaxLiteral = 1 << 12
		lc, err := parseList(d)
		if err == nil && len(lc.patterns) == 0 {
			t.Fatalf("%q: accepted without a pattern", data)
		}
		if err == nil && lc.recursiveMatch && !lc.selectSubscribed {
			t.Fatalf("%q: RECURSIVEMATCH accepted alone", data)
		}
	})
}
