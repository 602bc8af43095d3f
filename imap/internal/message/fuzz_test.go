package message

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// seedMessages are the corpus shared by the fuzz tests.
func seedMessages() []string {
	return []string{
		crlf(plainMsg), crlf(alternativeMsg), crlf(mixedMsg), crlf(nestedMsg), rfc822Msg,
		crlf(digestMsg), simpleRFC822Msg, rootRFC822Msg, "", "\r\n", "Subject: x",
		"Content-Type: multipart/mixed; boundary=a\n\n--a\n--a\n--a--",
		"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
		"From: g: a@b, <c>; (x\r\nTo: \"q\\\" <@a,@b:c@d>\r\n\r\n",
	}
}

// partPaths lists the part numbers of every part below a message root,
// as IMAP numbers them.
func partPaths(root *Part, limit int) [][]int {
	var out [][]int
	var message func(p *Part, prefix []int)
	var body func(p *Part, path []int)
	add := func(prefix []int, n int) []int {
		path := append(append([]int(nil), prefix...), n)
		if len(out) < limit {
			out = append(out, path)
		}
		return path
	}
	body = func(p *Part, path []int) {
		if len(out) >= limit {
			return
		}
		if p.IsMultipart() {
			for i, c := range p.Children {
				body(c, add(path, i+1))
			}
		} else if p.Message != nil {
			message(p.Message, path)
		}
	}
	message = func(p *Part, prefix []int) {
		if p.IsMultipart() {
			body(p, prefix)
			return
		}
		body(p, add(prefix, 1))
	}
	message(root, nil)
	return out
}

// checkTree verifies the offsets of a part tree.
func checkTree(t *testing.T, p *Part, start, end int) {
	if p.HeaderStart < start || p.HeaderStart > p.BodyStart || p.BodyStart > p.End || p.End > end {
		t.Fatalf("bad offsets %d %d %d in [%d,%d]", p.HeaderStart, p.BodyStart, p.End, start, end)
	}
	for _, c := range p.Children {
		checkTree(t, c, p.BodyStart, p.End)
	}
	if p.Message != nil {
		checkTree(t, p.Message, p.BodyStart, p.End)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range seedMessages() {
		f.Add([]byte(s))
	}
	specs := []string{"", ".MIME", ".HEADER", ".TEXT", ".HEADER.FIELDS (SUBJECT X)", ".HEADER.FIELDS.NOT (SUBJECT)"}
	f.Fuzz(func(t *testing.T, msg []byte) {
		root := Parse(msg)
		checkTree(t, root, 0, len(msg))
		for _, extended := range []bool{false, true} {
			out := root.AppendBodyStructure(nil, extended)
			n, err := parseAll(out)
			if err == nil {
				err = checkBody(n, extended)
			}
			if err != nil {
				t.Fatalf("extended=%v: %v\n%q", extended, err, out)
			}
		}
		env := AppendEnvelope(nil, root.Header())
		if n, err := parseAll(env); err != nil || checkEnvelope(n) != nil {
			t.Fatalf("envelope: %v %v\n%q", err, checkEnvelope(n), env)
		}
		for _, spec := range []string{"", "HEADER", "TEXT", "HEADER.FIELDS (FROM)", "HEADER.FIELDS.NOT (FROM)"} {
			if _, ok := Section(msg, root, spec); !ok {
				t.Fatalf("Section(%q) missing", spec)
			}
		}
		for _, path := range partPaths(root, 200) {
			strs := make([]string, len(path))
			for i, n := range path {
				strs[i] = strconv.Itoa(n)
			}
			for _, s := range specs {
				spec := strings.Join(strs, ".") + s
				_, ok := Section(msg, root, spec)
				if (s == "" || s == ".MIME") && !ok {
					t.Fatalf("Section(%q) of an existing part is missing", spec)
				}
			}
		}
		for _, h := range []bool{false, true} {
			if got, want := SearchText(msg, root, h), refSearchText(msg, root, h); !bytes.Equal(got, want) {
				t.Fatalf("SearchText(%v) =\n%q, want (reference)\n%q", h, got, want)
			}
		}
	})
}

func FuzzAddressList(f *testing.F) {
	for _, s := range []string{
		"a@b", `"Doe, John" <john@x>`, "team: a@b, c@d;", "undisclosed-recipients:;", "postmaster",
		"<@a,@b:c@d>", "jo@x (Jo)", `"a\"b" <c@d>`, "((nested) comment) a@b", ",,;;::<<>>@@",
		"=?UTF-8?Q?J=C3=B6rg?= <j@x>", "a@[1.2.3.4]", "g: (unclosed", "\"unclosed",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		AddressText(value)
		list := ParseAddressList(value)
		open := false
		for _, a := range list {
			switch a.Kind {
			case AddressGroupStart:
				if open {
					t.Fatalf("nested group in %q", value)
				}
				open = true
			case AddressGroupEnd:
				if !open {
					t.Fatalf("group end without start in %q", value)
				}
				open = false
			}
		}
		if open {
			t.Fatalf("unclosed group in %q", value)
		}
		out := appendAddressList(nil, list)
		n, err := parseAll(out)
		if err == nil && n.kind == '(' {
			for _, a := range n.list {
				if a.kind != '(' || len(a.list) != 4 {
					t.Fatalf("bad address %q", out)
				}
			}
		}
		if err != nil {
			t.Fatalf("%v: %q", err, out)
		}
	})
}

func FuzzSectionSpec(f *testing.F) {
	for _, s := range []string{
		"", "HEADER", "TEXT", "1", "1.2.3", "2.MIME", "2.HEADER", "2.TEXT", "HEADER.FIELDS (FROM TO)",
		"1.HEADER.FIELDS.NOT (X-A \"b c\")", "HEADER.FIELDS ({4}\r\nfrom)", "0", "1.", "MIME",
	} {
		f.Add(s)
	}
	msg := []byte(rfc822Msg)
	root := Parse(msg)
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSectionSpec(s)
		Section(msg, root, s)
		if err != nil {
			return
		}
		again, err := ParseSectionSpec(spec.String())
		if err != nil || !reflect.DeepEqual(again, spec) {
			t.Fatalf("%q -> %q does not parse back: %+v %v", s, spec.String(), again, err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"=?UTF-8?B?SGVsbG8=?= world", "=?iso-8859-1?q?caf=E9?=", "Mon, 2 Jan 2006 15:04:05 -0700",
		"2006-01-02 10:00", "=?", "=?a?b?c?=",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeHeader(b)
		ParseDate(string(b))
		decodeQP(b, true)
		decodeBase64(b)
	})
}

// TestTruncated parses every prefix of the seed messages with no spare
// capacity, so that reading past the end panics instead of finding the
// rest of the buffer. "Content-Type:(\" once did.
func TestTruncated(t *testing.T) {
	for _, s := range append(seedMessages(), "Content-Type:(\\", "Content-Type: a/b; c=\"\\") {
		for n := 0; n <= len(s); n++ {
			msg := []byte(s[:n])
			for _, p := range []*Part{Parse(msg[:n:n]), ParseLF(msg[:n:n])} {
				p.AppendBodyStructure(nil, true)
				SearchText(msg[:n:n], p, true)
			}
		}
	}
}
