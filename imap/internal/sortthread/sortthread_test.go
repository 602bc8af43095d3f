package sortthread

import (
	"slices"
	"testing"
)

func TestBaseSubject(t *testing.T) {
	for _, tc := range []struct {
		in, base string
		reply    bool
	}{
		{"", "", false},
		{"Hello", "Hello", false},
		{"  Hello \t  world  ", "Hello world", false},
		{"Re: Hello", "Hello", true},
		{"RE:Hello", "Hello", true},
		{"re : Hello", "Hello", true},
		{"Fwd: Hello", "Hello", true},
		{"FW: Hello", "Hello", true},
		{"Re: Re[2]: Fwd: Hello", "Hello", true},
		{"Re [3]: Hello", "Hello", true},
		{"[list] Re: Hello", "Hello", true},
		{"[list] Hello", "Hello", false},
		{"[list]", "[list]", false},
		{"[a][b] Hello", "Hello", false},
		{"Hello (fwd)", "Hello", true},
		{"Hello (FWD) (fwd)  ", "Hello", true},
		{"[Fwd: Hello]", "Hello", true},
		{"[fwd: Re: [list] Hello (fwd)]", "Hello", true},
		{"Re: [Fwd: Re: Hello]", "Hello", true},
		{"Rebus", "Rebus", false},
		{"Re:", "", true},
		{"Fwd", "Fwd", false},
		{"[unclosed Hello", "[unclosed Hello", false},
		{"Re: [unclosed: Hello", "[unclosed: Hello", true},
	} {
		base, reply := BaseSubject(tc.in)
		if base != tc.base || reply != tc.reply {
			t.Errorf("BaseSubject(%q) = %q, %v; want %q, %v", tc.in, base, reply, tc.base, tc.reply)
		}
	}
}

func TestCasemap(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"hello", "HELLO"},
		{"Hello World", "hELLO wORLD"},
		{"straße", "STRAßE"},
		{"Ǆemal", "ǅEMAL"},           // titlecase, not upper case
		{"café", "CAFE\u0301"},       // decomposed
		{"Ärger", "A\u0308RGER"},     // decomposed upper
		{"\xff\xfeab", "\xff\xfeAB"}, // bytes that are not UTF-8 are kept
	} {
		if x, y := Casemap(tc.a), Casemap(tc.b); x != y {
			t.Errorf("Casemap(%q) = %q, Casemap(%q) = %q; want equal", tc.a, x, tc.b, y)
		}
	}
	// RFC 5051 decomposes after the titlecase mapping: a ligature's
	// letters keep their case.
	if got := Casemap("ﬁ"); got != "fi" {
		t.Errorf(`Casemap("ﬁ") = %q, want "fi"`, got)
	}
	// The order SORT gives: by the collated form's octets.
	words := []string{"zebra", "Apple", "éclair", "banana", "Eclair"}
	slices.SortStableFunc(words, func(a, b string) int {
		x, y := Casemap(a), Casemap(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	want := []string{"Apple", "banana", "Eclair", "éclair", "zebra"}
	if !slices.Equal(words, want) {
		t.Errorf("sorted %q, want %q", words, want)
	}
}

func TestMessageIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"<a@b>", []string{"a@b"}},
		{" <a@b> <c@d>\r\n\t<e@f>", []string{"a@b", "c@d", "e@f"}},
		{"<a@b> (comment <x@y>) <c@d>", []string{"a@b", "c@d"}},
		{"<no-at-sign>", nil},
		{"<a\r\n @b>", []string{"a@b"}},
		{"message <a@b> of Monday", []string{"a@b"}},
		{"<unclosed@x", nil},
		{"", nil},
	} {
		if got := MessageIDs([]byte(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("MessageIDs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// msg makes a Message for the thread tests.
func msg(id uint32, date int64, subject, messageID string, refs ...string) Message {
	base, reply := BaseSubject(subject)
	return Message{ID: id, Date: date, Subject: Casemap(base), Reply: reply, MessageID: messageID, References: refs}
}

func TestThreads(t *testing.T) {
	for _, tc := range []struct {
		name       string
		msgs       []Message
		ordered    string // ORDEREDSUBJECT
		references string // REFERENCES
		refs       string // REFS
	}{
		{
			name: "empty",
		},
		{
			name: "a reply chain",
			msgs: []Message{
				msg(1, 10, "Hello", "a@x"),
				msg(2, 20, "Re: Hello", "b@x", "a@x"),
				msg(3, 30, "Re: Hello", "c@x", "a@x", "b@x"),
			},
			ordered:    "(1 (2)(3))",
			references: "(1 2 3)",
			refs:       "(1 2 3)",
		},
		{
			name: "two replies to one message",
			msgs: []Message{
				msg(1, 10, "Hello", "a@x"),
				msg(2, 30, "Re: Hello", "b@x", "a@x"),
				msg(3, 20, "Re: Hello", "c@x", "a@x"),
				msg(4, 15, "Other", "d@x"),
			},
			ordered:    "(1 (3)(2))(4)",
			references: "(1 (3)(2))(4)",
			refs:       "(4)(1 (3)(2))",
		},
		{
			name: "a missing parent: a dummy at the root",
			msgs: []Message{
				msg(1, 10, "Re: Lost", "b@x", "a@x"),
				msg(2, 20, "Re: Lost", "c@x", "a@x"),
			},
			ordered:    "(1 2)",
			references: "((1)(2))",
			refs:       "((1)(2))",
		},
		{
			name: "a missing parent with one child is dropped",
			msgs: []Message{
				msg(1, 10, "Re: Lost", "b@x", "a@x"),
				msg(2, 5, "Other", "c@x"),
			},
			ordered:    "(2)(1)",
			references: "(2)(1)",
			refs:       "(2)(1)",
		},
		{
			name: "a reply gathered under its original by subject",
			msgs: []Message{
				msg(1, 10, "Topic", "a@x"),
				msg(2, 20, "Re: Topic", "b@x"),
			},
			ordered:    "(1 2)",
			references: "(1 2)",
			refs:       "(1)(2)",
		},
		{
			name: "two originals of one subject become siblings",
			msgs: []Message{
				msg(1, 10, "Topic", "a@x"),
				msg(2, 20, "Topic", "b@x"),
			},
			ordered:    "(1 2)",
			references: "((1)(2))",
			refs:       "(1)(2)",
		},
		{
			name: "duplicate and missing Message-IDs",
			msgs: []Message{
				msg(1, 10, "One", "a@x"),
				msg(2, 20, "Two", "a@x"),
				msg(3, 30, "Three", ""),
				msg(4, 40, "Re: One", "d@x", "a@x"),
			},
			ordered:    "(1 4)(2)(3)",
			references: "(1 4)(2)(3)",
			refs:       "(2)(3)(1 4)",
		},
		{
			name: "a reference loop is not followed",
			msgs: []Message{
				msg(1, 10, "A", "a@x", "b@x"),
				msg(2, 20, "B", "b@x", "a@x"),
			},
			ordered:    "(1)(2)",
			references: "(2 1)", // 1 names 2 first; 2's reference back is refused
			refs:       "(2 1)",
		},
		{
			name: "equal dates keep mailbox order",
			msgs: []Message{
				msg(1, 10, "B", "a@x"),
				msg(2, 10, "A", "b@x"),
			},
			ordered:    "(1)(2)",
			references: "(1)(2)",
			refs:       "(1)(2)",
		},
		{
			// A thread whose latest date equals another's comes
			// before it when a dummy gathers it (Dovecot's REFS).
			name: "REFS: a dummy first at equal latest dates",
			msgs: []Message{
				msg(1, 10, "A", "a@x"),
				msg(2, 5, "Re: Lost", "b@x", "z@x"),
				msg(3, 10, "Re: Lost", "c@x", "z@x"),
			},
			ordered:    "(2 3)(1)",
			references: "((2)(3))(1)",
			refs:       "((2)(3))(1)",
		},
		{
			// Replies keep their date order under the root; the
			// root goes by the latest reply.
			name: "REFS: threads by their latest message",
			msgs: []Message{
				msg(1, 10, "A", "a@x"),
				msg(2, 20, "B", "b@x"),
				msg(3, 50, "Re: A", "c@x", "a@x"),
				msg(4, 30, "Re: A", "d@x", "a@x"),
			},
			ordered:    "(1 (4)(3))(2)",
			references: "(1 (4)(3))(2)",
			refs:       "(2)(1 (4)(3))",
		},
		{
			name: "a self reference",
			msgs: []Message{
				msg(1, 10, "A", "a@x", "a@x"),
			},
			ordered:    "(1)",
			references: "(1)",
			refs:       "(1)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendThreads(nil, OrderedSubject(tc.msgs), tc.msgs)); got != tc.ordered {
				t.Errorf("ORDEREDSUBJECT = %s, want %s", got, tc.ordered)
			}
			if got := string(AppendThreads(nil, References(tc.msgs), tc.msgs)); got != tc.references {
				t.Errorf("REFERENCES = %s, want %s", got, tc.references)
			}
			if got := string(AppendThreads(nil, Refs(tc.msgs), tc.msgs)); got != tc.refs {
				t.Errorf("REFS = %s, want %s", got, tc.refs)
			}
		})
	}
}

// FuzzThreads checks that any messages thread without a panic and that
// each message appears exactly once, by every algorithm.
func FuzzThreads(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1, 0, 2, 2, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var msgs []Message
		ids := []string{"", "a@x", "b@x", "c@x", "d@x"}
		for i := 0; i+3 < len(data) && len(msgs) < 64; i += 4 {
			m := Message{ID: uint32(len(msgs) + 1), Date: int64(data[i] % 4), Subject: []string{"", "S", "T"}[data[i+1]%3],
				Reply: data[i+1]&8 != 0, MessageID: ids[int(data[i+2])%len(ids)]}
			for r := data[i+3]; r > 0 && len(m.References) < 3; r /= 5 {
				m.References = append(m.References, ids[int(r)%len(ids)])
			}
			msgs = append(msgs, m)
		}
		for _, roots := range [][]*Node{OrderedSubject(msgs), References(msgs), Refs(msgs)} {
			seen := make([]int, len(msgs))
			var walk func([]*Node)
			walk = func(ns []*Node) {
				for _, n := range ns {
					if n.Msg >= 0 {
						seen[n.Msg]++
					} else if len(n.Children) == 0 {
						t.Fatal("an empty dummy")
					}
					walk(n.Children)
				}
			}
			walk(roots)
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("message %d appears %d times in %s", i+1, c, AppendThreads(nil, roots, msgs))
				}
			}
		}
	})
}
