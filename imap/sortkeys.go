package imap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/imap/internal/sortthread"
	"github.com/mailgate/mailgate/storage"
)

// cacheSortKeys is the shared cache's key (storage.View.Cached) for a
// message's SORT and THREAD keys, encoded by sortKeys.append: with it a
// SORT or THREAD over cached messages reads none of them.
const cacheSortKeys = "imap.sortkeys"

// sortKeysVersion begins an encoded sortKeys: a value of another version
// is made again.
const sortKeysVersion = 2

// sortKeys are what SORT (RFC 5256 section 3, RFC 5957) and THREAD
// (RFC 5256 section 4) compare of one message, derived from its header.
// The strings are collated already (sortthread.Casemap) except the
// message IDs.
type sortKeys struct {
	// date is the sent date in seconds since 1970; hasDate is false when
	// the message has no Date field that parses, and the internal date
	// stands for it.
	date    int64
	hasDate bool
	// subject is the base subject (RFC 5256 section 2.1); reply says its
	// extraction removed a reply or forward marker.
	subject string
	reply   bool
	// from, to and cc are the addr-mailbox of the field's first address
	// (RFC 5256 section 3); displayFrom and displayTo are its display
	// name, or its address without one (RFC 5957 section 3).
	from, to, cc           string
	displayFrom, displayTo string
	// messageID and refs are the Message-ID and the references (or the
	// In-Reply-To) of the message, without angle brackets.
	messageID string
	refs      []string
}

// sortKeysOf derives a message's sortKeys from its header.
func sortKeysOf(header []byte) sortKeys {
	return sortKeysFrom(message.ParseFields(header))
}

// sortKeysFrom derives a message's sortKeys from its header's fields.
func sortKeysFrom(f *message.Fields) sortKeys {
	var k sortKeys
	first := func(name string) []byte {
		v, _ := f.First(name)
		return v
	}
	if v := first("Date"); v != nil {
		if t, ok := message.ParseDate(string(v)); ok {
			k.date, k.hasDate = t.Unix(), true
		}
	}
	base, reply := sortthread.BaseSubject(message.DecodeHeader(first("Subject")))
	k.subject, k.reply = sortthread.Casemap(base), reply
	k.from, k.displayFrom = firstAddress(f.Addresses("From"))
	k.to, k.displayTo = firstAddress(f.Addresses("To"))
	k.cc, _ = firstAddress(f.Addresses("Cc"))
	if ids := sortthread.MessageIDs(first("Message-ID")); len(ids) > 0 {
		k.messageID = ids[0]
	}
	for _, v := range f.Values("References") {
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

// maxReferences bounds the References a message threads by.
const maxReferences = 100

// maxSortKey bounds each string of a message's sortKeys, in bytes.
const maxSortKey = 256

// clipKey cuts s to at most maxSortKey bytes, at a character boundary.
func clipKey(s string) string {
	if len(s) <= maxSortKey {
		return s
	}
	cut := maxSortKey
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut])
}

// firstAddress returns the collated addr-mailbox of the first address of
// an address field's parsed list, and its display form: the decoded
// display name, or mailbox@host without one.
func firstAddress(addrs []message.Address) (mailbox, display string) {
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

// append encodes k for the cache.
func (k *sortKeys) append(b []byte) []byte {
	b = append(b, sortKeysVersion)
	var flags byte
	if k.hasDate {
		flags |= 1
	}
	if k.reply {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, k.date)
	for _, s := range []string{k.subject, k.from, k.to, k.cc, k.displayFrom, k.displayTo, k.messageID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(k.refs)))
	for _, s := range k.refs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

var errSortKeys = errors.New("sort keys: bad encoding")

// The fields of sortKeys a command needs, for decode.
const (
	needSubject = 1 << iota
	needFrom
	needTo
	needCc
	needDisplayFrom
	needDisplayTo
	needMessageID
	needRefs
	needAll = 1<<iota - 1
)

// decode reads what append wrote.
func (k *sortKeys) decode(b []byte) error { return k.decodeOnly(b, needAll) }

// decodeOnly reads what append wrote, copying only the strings that
// need names (the date and flags always).
func (k *sortKeys) decodeOnly(b []byte, need int) error {
	if len(b) < 2 || b[0] != sortKeysVersion {
		return errSortKeys
	}
	k.hasDate, k.reply = b[1]&1 != 0, b[1]&2 != 0
	b = b[2:]
	d, n := binary.Varint(b)
	if n <= 0 {
		return errSortKeys
	}
	k.date, b = d, b[n:]
	str := func(keep bool) (string, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return "", false
		}
		var s string
		if keep {
			s = string(b[n : n+int(l)])
		}
		b = b[n+int(l):]
		return s, true
	}
	for i, p := range [...]*string{&k.subject, &k.from, &k.to, &k.cc, &k.displayFrom, &k.displayTo, &k.messageID} {
		s, ok := str(need&(1<<i) != 0)
		if !ok {
			return errSortKeys
		}
		*p = s
	}
	if need&needRefs == 0 {
		return nil
	}
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return errSortKeys
	}
	b = b[n:]
	k.refs = make([]string, 0, count)
	for range count {
		s, ok := str(true)
		if !ok {
			return errSortKeys
		}
		k.refs = append(k.refs, s)
	}
	return nil
}

// sortKeysCurrent reports whether a cached value is sort keys of this
// version.
func sortKeysCurrent(val any) bool {
	b, ok := val.([]byte)
	return ok && len(b) > 0 && b[0] == sortKeysVersion
}

// cacheHeaderDerived caches what SEARCH and SORT derive from message
// uid's header, unless it is cached already: the commonly searched fields
// (searchFieldsOf) and the sort keys. Whoever holds a message's
// header anyway (FETCH ENVELOPE, a SEARCH on a header field; the
// full-text indexer has HeaderCache) calls it, so that a
// later SEARCH FROM or SORT need not open the message again. header may
// have LF or CRLF line ends: what is derived is the same. epoch is the
// view's CacheEpoch taken before the header was read (SetCachedSince).
// It returns the search fields.
func cacheHeaderDerived(v *storage.View, epoch uint64, uid uint32, header []byte) (fields []byte) {
	if val, _ := v.Cached(uid, cacheSortKeys); sortKeysCurrent(val) {
		if val, ok := v.Cached(uid, cacheSearchFields); ok && searchFieldsCurrent(val) {
			return val.([]byte)
		}
	}
	return cacheFieldsDerived(v, epoch, uid, message.ParseFields(header), true)
}

// cacheFieldsDerived is cacheHeaderDerived from the header's fields, for
// a caller that has them already (FETCH ENVELOPE derives the envelope
// from them): the header is walked once for all three. Without sortKeys
// the sort keys are left to the full-text index build, which derives
// them from every message (View.DerivesHeaders).
func cacheFieldsDerived(v *storage.View, epoch uint64, uid uint32, f *message.Fields, sortKeys bool) (fields []byte) {
	if sortKeys {
		if val, _ := v.Cached(uid, cacheSortKeys); !sortKeysCurrent(val) {
			k := sortKeysFrom(f)
			v.SetCachedSince(epoch, storage.CachedValue{UID: uid, Key: cacheSortKeys, Value: k.append(nil)})
		}
	}
	if val, ok := v.Cached(uid, cacheSearchFields); ok && searchFieldsCurrent(val) {
		return val.([]byte)
	}
	b := searchFieldsFrom(f)
	v.SetCachedSince(epoch, storage.CachedValue{UID: uid, Key: cacheSearchFields, Value: b})
	return b
}

// searchFieldsCurrent reports whether a cached value is searchFields of
// this version.
func searchFieldsCurrent(val any) bool {
	b, ok := val.([]byte)
	return ok && bytes.HasPrefix(b, []byte(searchFieldsVersion))
}

// HeaderCache derives from a message's header, as stored, the values
// this frontend keeps in the shared cache (storage.View.Cached) by key:
// SORT's and THREAD's keys. It is storage.FullText's Derive: the
// indexer, which reads every message that arrives, fills them, so that
// the first SORT after a delivery or an APPEND reads nothing. The search
// fields are left out: the index itself answers SEARCH FROM and the
// like, and every value makes the cache file, which a new process reads
// whole, larger.
func HeaderCache(header []byte) map[string][]byte {
	k := sortKeysOf(header)
	return map[string][]byte{cacheSortKeys: k.append(nil)}
}

// fillSortKeys reads the headers of the messages found[i] for each i of
// missing, derives their sort keys and caches them (only them: deriving
// the search fields too would cost a third more).
// The headers are read as stored and only as far as their end, in
// parallel (readInParallel); a message that cannot be read has empty
// keys.
func (s *session) fillSortKeys(found []sorted, missing []int) {
	epoch := s.view.CacheEpoch()
	readInParallel(len(missing), func(i int, buf []byte) []byte {
		e := &found[missing[i]]
		var header []byte
		buf, header = s.readStoredHeader(e.uid, buf)
		if header == nil {
			e.keys = sortKeys{}
			return buf
		}
		e.keys = sortKeysOf(header)
		s.view.SetCachedSince(epoch, storage.CachedValue{UID: e.uid, Key: cacheSortKeys, Value: e.keys.append(nil)})
		return buf
	})
	if len(missing) >= saveCacheAfter {
		// So many reads are not lost if the process is killed before
		// the mailbox closes; written while the answer goes out.
		go s.view.SaveCache()
	}
}

// saveCacheAfter is how many sort keys read by one SORT make it write
// the cache file at once.
const saveCacheAfter = 1000

// readStoredHeader reads message uid's header as stored into buf and
// returns buf for reuse and the header, nil when the message cannot be
// read.
func (s *session) readStoredHeader(uid uint32, buf []byte) ([]byte, []byte) {
	header, err := s.view.StoredHeader(uid, buf[:0])
	if err != nil {
		s.log.Debug("imap: SORT could not read a message", "uid", uid, "err", err)
		return buf, nil
	}
	return header[:0], header
}
