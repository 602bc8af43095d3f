package message

import (
	"fmt"
	"testing"
)

// TestMergeContinuations: RFC 2231 parameter segments are joined as
// Dovecot joins them (what TestDovecotDifferential's 16-rfc2231-params
// checks against Dovecot itself), and names that only look like them
// are left alone.
func TestMergeContinuations(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`text/plain; charset=utf-8`, `[{charset utf-8}]`},
		{`a/b; URL*0="ftp://"; URL*1="host/x.tar"; access-type=URL`, `[{access-type URL} {URL ftp://host/x.tar}]`},
		{`a/b; name*0*=UTF-8''%E2%82%AC; name*1*=%20for%20; name*2="2024.pdf"`, `[{name* UTF-8''%E2%82%AC%20for%202024.pdf}]`},
		// A plain first segment: no charset or language; plain
		// segments of an encoded value have their % escaped.
		{`a/b; n*0="50%"; n*1*=%20off`, `[{n* ''50%25%20off}]`},
		{`a/b; name*1="second"; name*0="first-"; format=flowed`, `[{format flowed} {name first-second}]`},
		{`a/b; title*=us-ascii'en'This%20is; x=y`, `[{x y} {title* us-ascii'en'This%20is}]`},
		// Indexes that do not run 0, 1, 2...: left as written.
		{`a/b; f*0=a; f*2=c`, `[{f*0 a} {f*2 c}]`},
		{`a/b; f*1*=b`, `[{f*1* b}]`},
		// Not segments: kept in place.
		{`a/b; x*y=1; *=2; z=3`, `[{x*y 1} {* 2} {z 3}]`},
		{`a/b; x*99999999999999999=1`, `[{x*99999999999999999 1}]`},
	} {
		_, _, params, ok := parseContentType([]byte(tc.in))
		if got := fmt.Sprint(params); !ok || got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	if _, params := parseDisposition([]byte(`attachment; filename*0*=UTF-8''%E2%82%AC; filename*1=".pdf"; size=42`)); fmt.Sprint(params) != `[{size 42} {filename* UTF-8''%E2%82%AC.pdf}]` {
		t.Errorf("disposition: %v", params)
	}
}

// TestTextDefaultCharset: a text part with parameters but no charset
// says the default, us-ascii, as Dovecot does.
func TestTextDefaultCharset(t *testing.T) {
	msg := []byte("Content-Type: text/plain; format=flowed\r\n\r\nx\r\n")
	got := string(Parse(msg).AppendBodyStructure(nil, false))
	if want := `("text" "plain" ("format" "flowed" "CHARSET" "US-ASCII") NIL NIL "7BIT" 3 1)`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
