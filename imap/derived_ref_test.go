package imap

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/imap/internal/sortthread"
)

// derivedHeaders are headers for the tests that compare what SORT and
// SEARCH derive from a header with the derivations they replaced.
var derivedHeaders = []string{
	"From: \"Zoë\" <zoe@example.org>, bob@example.org\r\nTo: undisclosed:;\r\nCc: =?utf-8?q?J=C3=BCrgen?= <JUERGEN@example.com>\r\nSubject: Re: [list] =?utf-8?q?=C3=A9t=C3=A9?= (fwd)\r\nDate: Tue, 2 Jan 2024 10:00:00 +0100\r\nMessage-ID: <m1@x>\r\nReferences: <a@b>\r\n <c@d>\r\nReferences: <e@f>\r\n\r\nbody",
	"From: one@a\nFrom: two@b\nTo: t1@x\nTo: g: t2@y, <t3>;\nCc:\nBcc: b1@z\nBcc: (c) \"n\" <b2@z>\nSubject: first\nSubject: second\nDate: never\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n",
	"In-Reply-To: <a@b> <c@d>\nMessage-Id:\t<t@x>\nmessage-ID: <u@x>\nsubject:\n\n",
	"From : spaced@name\nTO: =?iso-8859-1?q?Andr=E9?= <a@b>\n\n",
	"",
	"\r\n",
	"Subject: x",
	"\nFrom: after@blank\n\n",
}

// FuzzDerivedAsBefore checks that the sort keys and the search fields,
// derived from one walk of the header (message.Fields), are those the
// walks per field derived (refSortKeysOf, refSearchFieldsOf).
func FuzzDerivedAsBefore(f *testing.F) {
	for _, h := range derivedHeaders {
		f.Add([]byte(h))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		if got, want := sortKeysOf(header), refSortKeysOf(header); !reflect.DeepEqual(got, want) {
			t.Fatalf("sort keys %+v\nwant %+v", got, want)
		}
		if got, want := searchFieldsOf(header), refSearchFieldsOf(header); !bytes.Equal(got, want) {
			t.Fatalf("search fields %q\nwant %q", got, want)
		}
	})
}

// refSortKeysOf is sortKeysOf as it was before message.Fields.
func refSortKeysOf(header []byte) sortKeys {
	var k sortKeys
	first := func(name string) []byte {
		if vals := message.HeaderValues(header, name); len(vals) > 0 {
			return vals[0]
		}
		return nil
	}
	if v := first("Date"); v != nil {
		if t, ok := message.ParseDate(string(v)); ok {
			k.date, k.hasDate = t.Unix(), true
		}
	}
	base, reply := sortthread.BaseSubject(message.DecodeHeader(first("Subject")))
	k.subject, k.reply = sortthread.Casemap(base), reply
	k.from, k.displayFrom = refFirstAddress(first("From"))
	k.to, k.displayTo = refFirstAddress(first("To"))
	k.cc, _ = refFirstAddress(first("Cc"))
	if ids := sortthread.MessageIDs(first("Message-ID")); len(ids) > 0 {
		k.messageID = ids[0]
	}
	for _, v := range message.HeaderValues(header, "References") {
		k.refs = append(k.refs, sortthread.MessageIDs(v)...)
	}
	if len(k.refs) > maxReferences {
		// The nearest ancestors are the last ones. Threading walks a
		// message's chain for each reference, so a header of 20,000
		// ids (a hostile sender's) would cost 10^8 steps per THREAD.
		k.refs = k.refs[len(k.refs)-maxReferences:]
	}
	if len(k.refs) == 0 {
		if ids := sortthread.MessageIDs(first("In-Reply-To")); len(ids) > 0 {
			k.refs = ids[:1]
		}
	}
	// Every key is kept for each message in memory and in the cache
	// file a new process reads whole: a sender's megabyte Subject must
	// not cost a megabyte there. Keys that agree on their first
	// maxSortKey bytes sort as equal.
	for _, s := range []*string{&k.subject, &k.from, &k.displayFrom, &k.to, &k.displayTo, &k.cc, &k.messageID} {
		*s = clipKey(*s)
	}
	for i := range k.refs {
		k.refs[i] = clipKey(k.refs[i])
	}
	return k
}

// refFirstAddress is firstAddress as it was, of a field's value.
func refFirstAddress(v []byte) (mailbox, display string) {
	if v == nil {
		return "", ""
	}
	addrs := message.ParseAddressList(v)
	if len(addrs) == 0 {
		return "", ""
	}
	a := addrs[0]
	name := message.DecodeHeader([]byte(a.Name))
	if name == "" {
		name = a.Mailbox
		if a.Host != "" {
			name += "@" + a.Host
		}
	}
	return sortthread.Casemap(a.Mailbox), sortthread.Casemap(name)
}

// refSearchFieldsOf is searchFieldsOf as it was before message.Fields.
func refSearchFieldsOf(header []byte) []byte {
	b := []byte(searchFieldsVersion)
	field := func(name string, val []byte) {
		b = append(append(append(append(b, name...), ": "...), val...), "\r\n"...)
	}
	for _, f := range searchFields {
		for _, val := range message.HeaderValues(header, f) {
			field(f, val)
			if isOneOf(f, addressFields) {
				field(f+addressesSuffix, []byte(message.AddressText(val)))
			}
		}
	}
	return append(b, "\r\n"...)
}

// BenchmarkHeaderDerived measures what a first FETCH ENVELOPE derives
// from each message's header: the envelope, the sort keys and the
// search fields, from one walk of the header (fields) or from a walk
// per field, as before message.Fields (walks).
func BenchmarkHeaderDerived(b *testing.B) {
	headers := make([][]byte, 100)
	for i := range headers {
		headers[i] = []byte(fmt.Sprintf("Return-Path: <sender%d@example.org>\nReceived: from mx.example.org by mail.example.net; Mon, 1 Jan 2024 00:00:00 +0000\nFrom: Sender %d <sender%d@example.org>\nTo: alice@example.org\nCc: team: a@example.org, b@example.org;\nSubject: message number %d about things\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <%d@example.org>\nReferences: <%d@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n", i, i, i, i, i, i-1))
	}
	b.Run("walks", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			h := headers[i%len(headers)]
			message.AppendEnvelope(nil, h)
			k := refSortKeysOf(h)
			k.append(nil)
			refSearchFieldsOf(h)
		}
	})
	b.Run("fields", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fs := message.ParseFields(headers[i%len(headers)])
			fs.AppendEnvelope(nil)
			k := sortKeysFrom(fs)
			k.append(nil)
			searchFieldsFrom(fs)
		}
	})
}
