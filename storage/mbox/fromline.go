package mbox

import (
	"bufio"
	"bytes"
	"time"
)

// This file reads and writes the separator ("From_") line that starts
// every message of an mbox file:
//
//	From sender Mon Jan  2 15:04:05 2006
//
// Writers disagree on the details, so parseFromLine accepts: a missing
// sender or one with spaces in it, a missing weekday, a time without
// seconds, a time zone (a name such as "PST" or "MET DST", or a number
// such as "-0700") before or after the year, a two-digit year, trailing
// fields ("remote from host"), and the RFC 5322 order ("Mon, 2 Jan 2006
// 15:04:05 +0000"). It allocates nothing and uses no regular expression:
// a cold scan calls it once per message.

// maxFromTokens bounds how many fields of a From_ line are looked at.
const maxFromTokens = 24

// span is a field of a From_ line: line[i:j].
type span struct{ i, j int }

// parseFromLine reports whether line (with or without its line ending) is
// a From_ line with a date it can read, and returns that date in Unix
// seconds. A date without a time zone is in the local one.
func parseFromLine(line []byte) (int64, bool) {
	if len(line) < 5 || string(line[:5]) != "From " {
		return 0, false
	}
	var toks [maxFromTokens]span
	n := 0
	for i := 5; i < len(line) && n < maxFromTokens; {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
			i++
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '\n' {
			j++
		}
		if j > i {
			toks[n] = span{i, j}
			n++
		}
		i = j
	}
	for k := 0; k+2 < n; k++ {
		if d, ok := asctimeAt(line, toks[:n], k); ok {
			return d, true
		}
		if d, ok := rfcDateAt(line, toks[:n], k); ok {
			return d, true
		}
	}
	return 0, false
}

// asctimeAt reads "Mon dd hh:mm[:ss] [zone...] yyyy [zone]" starting at
// token k (the month).
func asctimeAt(line []byte, toks []span, k int) (int64, bool) {
	mon, ok := month(tok(line, toks[k]))
	if !ok {
		return 0, false
	}
	day, ok := number(tok(line, toks[k+1]), 1, 2)
	if !ok || day < 1 || day > 31 {
		return 0, false
	}
	h, m, s, ok := clock(tok(line, toks[k+2]))
	if !ok {
		return 0, false
	}
	zone, known := 0, false
	i := k + 3
	// Up to two zone fields before the year ("PST", "MET DST").
	for z := 0; z < 2 && i < len(toks); z++ {
		off, kn, isZone := timeZone(tok(line, toks[i]))
		if !isZone {
			break
		}
		if kn && !known {
			zone, known = off, true
		} else if kn {
			zone += off // "MET DST": daylight saving adds an hour
		}
		i++
	}
	if i >= len(toks) {
		return 0, false
	}
	year, ok := yearOf(tok(line, toks[i]))
	if !ok {
		return 0, false
	}
	if !known && i+1 < len(toks) {
		if off, kn, isZone := timeZone(tok(line, toks[i+1])); isZone && kn {
			zone, known = off, true
		}
	}
	return unixDate(year, mon, day, h, m, s, zone, known), true
}

// rfcDateAt reads "dd Mon yyyy hh:mm[:ss] [zone]" starting at token k.
func rfcDateAt(line []byte, toks []span, k int) (int64, bool) {
	if k+3 >= len(toks) {
		return 0, false
	}
	day, ok := number(tok(line, toks[k]), 1, 2)
	if !ok || day < 1 || day > 31 {
		return 0, false
	}
	mon, ok := month(tok(line, toks[k+1]))
	if !ok {
		return 0, false
	}
	year, ok := yearOf(tok(line, toks[k+2]))
	if !ok {
		return 0, false
	}
	h, m, s, ok := clock(tok(line, toks[k+3]))
	if !ok {
		return 0, false
	}
	zone, known := 0, false
	if k+4 < len(toks) {
		zone, known, _ = timeZone(tok(line, toks[k+4]))
	}
	return unixDate(year, mon, day, h, m, s, zone, known), true
}

func tok(line []byte, s span) []byte { return line[s.i:s.j] }

func unixDate(year int, mon time.Month, day, h, m, s, zone int, known bool) int64 {
	if !known {
		return time.Date(year, mon, day, h, m, s, 0, time.Local).Unix()
	}
	return time.Date(year, mon, day, h, m, s, 0, time.UTC).Unix() - int64(zone)
}

var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// month reads a three-letter English month name in any case.
func month(b []byte) (time.Month, bool) {
	if len(b) != 3 {
		return 0, false
	}
	var l [3]byte
	for i, c := range b {
		l[i] = c | 0x20
	}
	for i, name := range months {
		if string(l[:]) == name {
			return time.Month(i + 1), true
		}
	}
	return 0, false
}

// number reads a decimal of minDigits to maxDigits digits.
func number(b []byte, minDigits, maxDigits int) (int, bool) {
	if len(b) < minDigits || len(b) > maxDigits {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// yearOf reads a four-digit year, or a two-digit one (70-99 -> 19xx).
func yearOf(b []byte) (int, bool) {
	y, ok := number(b, 2, 4)
	if !ok || len(b) == 3 {
		return 0, false
	}
	if len(b) == 2 {
		if y >= 70 {
			return 1900 + y, true
		}
		return 2000 + y, true
	}
	return y, true
}

// clock reads hh:mm or hh:mm:ss.
func clock(b []byte) (h, m, s int, ok bool) {
	if len(b) < 4 {
		return 0, 0, 0, false
	}
	c := 0
	for c < len(b) && b[c] != ':' {
		c++
	}
	if h, ok = number(b[:c], 1, 2); !ok || c+3 > len(b) {
		return 0, 0, 0, false
	}
	rest := b[c+1:]
	if m, ok = number(rest[:2], 2, 2); !ok {
		return 0, 0, 0, false
	}
	if len(rest) > 2 {
		if rest[2] != ':' {
			return 0, 0, 0, false
		}
		if s, ok = number(rest[3:], 2, 2); !ok {
			return 0, 0, 0, false
		}
	}
	if h > 23 || m > 59 || s > 60 {
		return 0, 0, 0, false
	}
	return h, m, s, true
}

// zoneNames are the time zone names whose offset is unambiguous enough to
// use; other names count as the local zone.
var zoneNames = [...]struct {
	name string
	off  int // seconds east of UTC
}{
	{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0},
	{"EST", -5 * 3600}, {"EDT", -4 * 3600}, {"CST", -6 * 3600}, {"CDT", -5 * 3600},
	{"MST", -7 * 3600}, {"MDT", -6 * 3600}, {"PST", -8 * 3600}, {"PDT", -7 * 3600},
	{"CET", 3600}, {"CEST", 2 * 3600}, {"MET", 3600}, {"MEST", 2 * 3600},
	{"EET", 2 * 3600}, {"EEST", 3 * 3600}, {"WET", 0}, {"WEST", 3600},
	{"BST", 3600}, {"JST", 9 * 3600}, {"DST", 3600},
}

// timeZone reads a zone field: "+hhmm", "-hhmm" or a name of letters.
// known is false for names not in zoneNames; isZone is false for
// anything that is not a zone at all.
func timeZone(b []byte) (off int, known, isZone bool) {
	if len(b) == 5 && (b[0] == '+' || b[0] == '-') {
		hh, ok1 := number(b[1:3], 2, 2)
		mm, ok2 := number(b[3:5], 2, 2)
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return 0, false, false
		}
		off = hh*3600 + mm*60
		if b[0] == '-' {
			off = -off
		}
		return off, true, true
	}
	if len(b) == 0 || len(b) > 5 {
		return 0, false, false
	}
	var up [5]byte
	for i, c := range b {
		if c|0x20 < 'a' || c|0x20 > 'z' {
			return 0, false, false
		}
		up[i] = c &^ 0x20
	}
	for _, z := range zoneNames {
		if z.name == string(up[:len(b)]) {
			return z.off, true, true
		}
	}
	return 0, false, true
}

// asctime is the layout of the date in the From_ lines mailgate writes:
// what asctime(3) gives, in local time, as Postfix, procmail and imap4d
// write it.
const asctime = "Mon Jan _2 15:04:05 2006"

// fromLine returns the From_ line that mailgate writes for a message
// received at date, with its line ending.
func fromLine(sender string, date time.Time) []byte {
	b := make([]byte, 0, 64)
	b = append(b, "From "...)
	b = append(b, sender...)
	b = append(b, ' ')
	b = date.Local().AppendFormat(b, asctime)
	return append(b, '\n')
}

// maxSender bounds the sender that senderOf takes from a Return-Path: a
// path has at most 256 octets (RFC 5321 4.5.3.1.3).
const maxSender = 256

// senderOf returns the sender for the From_ line of the message that br
// holds, without consuming any of it: the address of a Return-Path field
// that is the message's first, where the MDA writes the envelope sender
// (RFC 5321 4.4), as the LMTP frontend does; MAILER-DAEMON for the null
// sender <>, as Postfix's local(8) writes it. A message that starts
// otherwise (an IMAP APPEND, mostly) gets appendSender, as before; one
// that brings its Return-Path first (saved from another mailbox, or
// copied) keeps its sender, as mutt writes it when it saves a message.
//
// The sender is taken as it comes, UTF-8 included (SMTPUTF8), but only
// when it is one word that cannot be read as part of the date: an
// address with white space or control characters in it (a quoted local
// part), a folded field or an overlong one gets appendSender.
func senderOf(br *bufio.Reader) string {
	head, _ := br.Peek(len("Return-Path: <>\r\n") + maxSender + 1)
	const name = "return-path:"
	if len(head) < len(name) || !bytes.EqualFold(head[:len(name)], []byte(name)) {
		return appendSender
	}
	end := bytes.IndexByte(head, '\n')
	if end < 0 || end+1 < len(head) && (head[end+1] == ' ' || head[end+1] == '\t') {
		return appendSender
	}
	value := bytes.TrimSpace(head[len(name):end])
	if len(value) < 2 || value[0] != '<' || value[len(value)-1] != '>' {
		return appendSender
	}
	addr := value[1 : len(value)-1]
	if len(addr) == 0 {
		return appendSender
	}
	for _, c := range addr {
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return appendSender
		}
	}
	return string(addr)
}
