package imap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/storage"
)

// Cache keys for what FETCH derives from a message (storage.View.Cached).
// A key changes when what is derived does, so that values that an older
// build kept in a mailbox's cache file are not used: BODY and
// BODYSTRUCTURE are at 2 since RFC 2231 parameters are joined.
const (
	cacheEnvelope      = "imap.envelope"
	cacheBody          = "imap.body/2"
	cacheBodyStructure = "imap.bodystructure/2"
	cacheSearchFields  = "imap.searchfields" // see searchFields
)

// fetchBatch is how many messages' state is copied under one lock.
const fetchBatch = 256

// cmdFetch: RFC 3501 section 6.4.5 (and 6.4.8 for UID FETCH).
func (s *session) cmdFetch(tag string, uid bool) error {
	set, err := s.setArg(uid)
	if err != nil {
		return err
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	items, err := s.parseFetchItems()
	if err != nil {
		return err
	}
	var mods fetchModifiers
	if s.d.Maybe(' ') {
		if mods, err = s.fetchModifiers(uid); err != nil {
			return err
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if mods.changedSince || hasKind(items, fetchModSeq) {
		// CONDSTORE enabling commands (RFC 7162 section 3.1).
		if err := s.modSeqKept(); err != nil {
			return err
		}
		s.enableCondStore()
	}
	seqs, err := s.resolveSeqs(set, uid)
	if err != nil {
		return err
	}
	if (uid || s.qresync) && !hasKind(items, fetchUID) {
		// RFC 7162 section 3.2.4: after ENABLE QRESYNC every FETCH
		// response carries the UID.
		items = append([]fetchItem{{kind: fetchUID}}, items...)
	}
	if mods.changedSince && !hasKind(items, fetchModSeq) {
		// RFC 7162 section 3.1.4.1: CHANGEDSINCE implies MODSEQ.
		items = append(items, fetchItem{kind: fetchModSeq})
	}
	if mods.vanished {
		// RFC 7162 section 3.2.6: expunges in the set come first.
		s.writeVanishedEarlier(set.(imap.UIDSet), mods.since)
	}
	f := newFetcher(s, items)
	for _, it := range items {
		if (it.kind == fetchSection || it.kind == fetchBinary) && !it.peek && !s.view.ReadOnly() {
			f.setSeen = true
		}
	}
	uids := s.view.UIDsAt(seqs)
	msgs := make([]storage.Message, fetchBatch)
	for start := 0; start < len(seqs); start += fetchBatch {
		end := min(start+fetchBatch, len(seqs))
		if err := f.lookup(uids[start:end], msgs[:end-start]); err != nil {
			return storageErr(err, "FETCH")
		}
		f.prefill(msgs[:end-start], func(m *storage.Message) bool {
			return !mods.changedSince || m.ModSeq > mods.since
		})
		for i := start; i < end; i++ {
			m := &msgs[i-start]
			if m.UID == 0 {
				f.lost = true
				continue
			}
			if mods.changedSince && m.ModSeq <= mods.since {
				continue
			}
			if err := f.fetchOne(seqs[i], m); err != nil {
				return err
			}
		}
		if s.bw.Buffered() > 8*1024 {
			if err := s.e.Flush(); err != nil {
				return err
			}
		}
	}
	if mods.vanished && !f.lost {
		return s.okHighestModSeq("Fetch completed")
	}
	if f.lost {
		// RFC 5530 EXPUNGEISSUED, with OK as Dovecot answers: what was
		// still known was sent (RFC 2180 section 4.1.1).
		return ok("EXPUNGEISSUED", "Some messages were already expunged")
	}
	return nil
}

// fetchModifiers are FETCH's modifiers (RFC 4466 section 2.4):
// CHANGEDSINCE (RFC 7162 section 3.1.4.1) and VANISHED (section 3.2.6).
type fetchModifiers struct {
	changedSince bool
	since        uint64
	vanished     bool
}

// fetchModifiers reads "(CHANGEDSINCE n [VANISHED])".
func (s *session) fetchModifiers(uid bool) (fetchModifiers, error) {
	var mods fetchModifiers
	err := s.d.List(func() error {
		name, err := s.d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(name) {
		case "CHANGEDSINCE":
			if err := s.d.SP(); err != nil {
				return err
			}
			mods.changedSince = true
			mods.since, err = s.modSeqValue()
			return err
		case "VANISHED":
			mods.vanished = true
			return nil
		}
		return bad("Unknown FETCH modifier %s", sanitize(name))
	})
	if err != nil {
		return mods, err
	}
	if mods.vanished && (!uid || !s.qresync || !mods.changedSince) {
		// RFC 7162 section 3.2.6.
		return mods, bad("VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC")
	}
	return mods, nil
}

// Placeholders for what cannot be read of a message another session
// expunged, as Dovecot sends them.
const (
	lostEnvelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"
	lostBody     = `("text" "plain" NIL NIL NIL "7bit" 0 0)`
)

func hasKind(items []fetchItem, k fetchKind) bool {
	for _, it := range items {
		if it.kind == k {
			return true
		}
	}
	return false
}

// fetcher writes FETCH responses for one command.
type fetcher struct {
	s       *session
	items   []fetchItem
	flags   bool // the items hold FLAGS
	dates   bool // the items hold INTERNALDATE
	setSeen bool
	lost    bool           // some message had been expunged: see lostEnvelope
	scratch []byte         // reused for message headers
	fields  message.Fields // reused for the fields of scratch's header
	// buildDerives says whether the full-text index build derives the
	// sort keys (View.DerivesHeaders): 1 yes, -1 no, 0 not asked yet.
	buildDerives int8
	buf          []byte // reused for whole messages
	// vals and itemLost are fetchOne's, per item, reused from one
	// message to the next: a FETCH 1:* of 100,000 messages made two
	// small slices for each.
	vals     [][]byte
	itemLost []bool
	// derivedKeys are the cache keys of the items that are derived
	// (ENVELOPE, BODY, BODYSTRUCTURE), for prefill.
	derivedKeys []string
	loadsWhole  bool     // some item reads the message itself (a section, BINARY)
	prefillUIDs []uint32 // prefill's, reused
}

// newFetcher returns a fetcher of items for s.
func newFetcher(s *session, items []fetchItem) fetcher {
	f := fetcher{s: s, items: items, flags: hasKind(items, fetchFlags), dates: hasKind(items, fetchInternalDate)}
	for _, d := range []struct {
		kind fetchKind
		key  string
	}{{fetchEnvelope, cacheEnvelope}, {fetchBody, cacheBody}, {fetchBodyStructure, cacheBodyStructure}} {
		if hasKind(items, d.kind) {
			f.derivedKeys = append(f.derivedKeys, d.key)
		}
	}
	f.loadsWhole = hasKind(items, fetchSection) || hasKind(items, fetchBinary) || hasKind(items, fetchBinarySize)
	return f
}

// lookup is View.Lookup, with the messages' internal dates when the
// items need them (the folder may learn them only now, see
// storage.Dater). A message whose date went with its file is expunged:
// it gets UID 0.
func (f *fetcher) lookup(uids []uint32, msgs []storage.Message) error {
	v := f.s.view
	v.Lookup(uids, msgs)
	if !f.dates {
		return nil
	}
	return v.Dated(msgs)
}

// content is what is loaded of one message, lazily.
type content struct {
	raw  []byte
	root *message.Part
	// epoch is the view's CacheEpoch taken before raw was read: what is
	// derived from root is cached only if the mailbox was not reset
	// since (View.SetCachedSince).
	epoch uint64
	tree  *message.Part // from ParseReader, for streamed sections (fetch_stream.go)
	// decoded holds BINARY's decoded parts by part number, so that a
	// FETCH naming one part many times (with partial ranges, say) holds
	// one decoded copy, not one per item: at most about the message's
	// size again.
	decoded map[string]decodedPart
}

// decodedPart is one part's content transfer decoding.
type decodedPart struct {
	data  []byte
	known bool
}

// binaryPart returns part path of the loaded message, decoded (RFC 3516),
// and whether its encoding is one that can be decoded.
func (c *content) binaryPart(path []int) ([]byte, bool) {
	key := fmt.Sprint(path)
	if d, ok := c.decoded[key]; ok {
		return d.data, d.known
	}
	data, _, known := message.BinaryPart(c.raw, c.root, path)
	if c.decoded == nil {
		c.decoded = map[string]decodedPart{}
	}
	c.decoded[key] = decodedPart{data, known}
	return data, known
}

// fetchOne writes the FETCH response for message seq. What can no longer
// be read of a message expunged by another session (its content; its
// UID, flags, size and date are still known) is sent as a placeholder,
// and f.lost notes it.
func (f *fetcher) fetchOne(seq uint32, m *storage.Message) error {
	s := f.s
	v := s.view
	// Everything that can fail is done before the response starts, so
	// that a message expunged meanwhile leaves no half-written line.
	var c content
	if len(f.vals) != len(f.items) {
		f.vals, f.itemLost = make([][]byte, len(f.items)), make([]bool, len(f.items))
	}
	vals, lost := f.vals, f.itemLost
	clear(vals)
	clear(lost)
	var big []*streamed // by item, when it is streamed from the file
	openFiles := 0      // of big's items
	defer func() {
		for _, st := range big {
			st.close()
		}
	}()
	for i := range f.items {
		it := &f.items[i]
		var err error
		switch it.kind {
		case fetchEnvelope:
			vals[i], err = f.derived(m, &c, cacheEnvelope)
		case fetchBody:
			vals[i], err = f.derived(m, &c, cacheBody)
		case fetchBodyStructure:
			vals[i], err = f.derived(m, &c, cacheBodyStructure)
		case fetchEmailID:
			var id string
			id, err = emailID(v, m.UID)
			vals[i] = []byte(id)
		case fetchThreadID:
			var id string
			id, err = f.s.threadID(m.UID)
			vals[i] = []byte(id)
		case fetchSection, fetchBinary, fetchBinarySize:
			// Each streamed item holds the message file open until it
			// is written: past a few (a FETCH may name thousands), the
			// rest are answered from the message loaded once.
			if !f.streams(m, it) || openFiles >= maxOpenStreams {
				err = f.loaded(seq, m, &c, it, &vals[i])
				break
			}
			if big == nil {
				big = make([]*streamed, len(f.items))
			}
			if it.kind == fetchSection {
				big[i], err = f.streamSection(m, &c, it)
			} else {
				big[i], err = f.streamBinary(seq, m, &c, it)
			}
			if err == nil && big[i].c != nil {
				openFiles++
			}
		}
		if errors.Is(err, storage.ErrNoMessage) {
			lost[i], f.lost, err = true, true, nil
		}
		if err != nil {
			return err
		}
	}
	return f.write(seq, m, vals, lost, big)
}

// loaded prepares BODY[section], BINARY or BINARY.SIZE of m from the whole
// message in memory.
func (f *fetcher) loaded(seq uint32, m *storage.Message, c *content, it *fetchItem, val *[]byte) error {
	var err error
	switch it.kind {
	case fetchSection:
		if err = f.load(m, c); err == nil {
			data, _ := message.Section(c.raw, c.root, it.section)
			if it.partial {
				off, n := clip(int64(len(data)), it.offset, it.count)
				data = data[off : off+n]
			}
			*val = data
		}
	case fetchBinary, fetchBinarySize:
		if err = f.load(m, c); err == nil {
			data, known := c.binaryPart(it.path)
			if !known {
				// RFC 3516 section 4.3.
				return no("UNKNOWN-CTE", "Cannot decode the encoding of part %s of message %d", it.section, seq)
			}
			if it.partial {
				off, n := clip(int64(len(data)), it.offset, it.count)
				data = data[off : off+n]
			}
			*val = data
		}
	}
	return err
}

// write writes the FETCH response for message seq from what fetchOne
// prepared: vals, lost and big by item.
func (f *fetcher) write(seq uint32, m *storage.Message, vals [][]byte, lost []bool, big []*streamed) error {
	s := f.s
	v := s.view
	flagsChanged := false
	var m1 [1]storage.Message
	if f.setSeen && !storage.HasFlag(m.Flags, storage.FlagSeen) {
		changed, err := v.Store([]uint32{m.UID}, storage.AddFlags, []string{storage.FlagSeen})
		if err != nil {
			return storageErr(err, "FETCH")
		}
		if len(changed) > 0 {
			flagsChanged = true
			v.Lookup([]uint32{m.UID}, m1[:])
			if m1[0].UID == m.UID {
				m.Flags, m.ModSeq = m1[0].Flags, m1[0].ModSeq
			} else {
				m.Flags = append(append([]string(nil), m.Flags...), storage.FlagSeen)
			}
		}
	}

	if flagsChanged || f.flags {
		v.AnnounceFlags(m.Flags, s)
	}
	s.e.Raw("* ").Number(seq).Raw(" FETCH (")
	wroteFlags, wroteModSeq := false, false
	for i := range f.items {
		it := &f.items[i]
		if i > 0 {
			s.e.SP()
		}
		switch it.kind {
		case fetchUID:
			s.e.Raw("UID ").Number(m.UID)
		case fetchFlags:
			s.e.Raw("FLAGS ")
			writeFlags(s.e, m.Flags, s.recent(m.UID))
			wroteFlags = true
		case fetchInternalDate:
			s.e.Raw("INTERNALDATE ").Date(m.InternalDate)
		case fetchEmailID:
			s.e.Raw("EMAILID (")
			if lost[i] {
				// Gone before its content was read: an identifier
				// of its own that no other message will have.
				s.e.Raw("Egone").Number(s.uidValidity).Byte('_').Number(m.UID)
			} else {
				s.e.Bytes(vals[i])
			}
			s.e.Byte(')')
		case fetchThreadID:
			if lost[i] {
				s.e.Raw("THREADID NIL")
			} else {
				s.e.Raw("THREADID (").Bytes(vals[i]).Byte(')')
			}
		case fetchModSeq:
			s.e.Raw("MODSEQ (").Number64(int64(m.ModSeq)).Byte(')')
			wroteModSeq = true
		case fetchSize:
			s.e.Raw("RFC822.SIZE ").Number64(m.Size)
		case fetchEnvelope:
			s.e.Raw("ENVELOPE ")
			if lost[i] {
				s.e.Raw(lostEnvelope)
			} else {
				s.e.Bytes(vals[i])
			}
		case fetchBody, fetchBodyStructure:
			if it.kind == fetchBody {
				s.e.Raw("BODY ")
			} else {
				s.e.Raw("BODYSTRUCTURE ")
			}
			if lost[i] {
				s.e.Raw(lostBody)
			} else {
				s.e.Bytes(vals[i])
			}
		case fetchSection, fetchBinary:
			s.e.Raw(it.name)
			if it.partial {
				s.e.Byte('<').Number64(it.offset).Byte('>')
			}
			s.e.SP()
			if lost[i] {
				s.e.Raw("NIL")
				continue
			}
			if big != nil && big[i] != nil {
				if big[i].literal8 {
					s.e.Byte('~')
				}
				if err := s.e.Literal(big[i].r, big[i].size); err != nil {
					s.log.Warn("imap: message shorter than its parts said", "uid", m.UID, "err", err)
				}
				continue
			}
			if it.kind == fetchBinary && bytes.IndexByte(vals[i], 0) >= 0 {
				s.e.Byte('~') // literal8, RFC 3516 section 4.1
			}
			s.e.Literal(bytes.NewReader(vals[i]), int64(len(vals[i])))
		case fetchBinarySize:
			s.e.Raw(it.name).SP()
			if lost[i] {
				s.e.Raw("0")
				continue
			}
			if big != nil && big[i] != nil {
				s.e.Number64(big[i].size)
				continue
			}
			s.e.Number64(int64(len(vals[i])))
		}
	}
	if flagsChanged && !wroteFlags {
		s.e.Raw(" FLAGS ")
		writeFlags(s.e, m.Flags, s.recent(m.UID))
	}
	if flagsChanged && s.condStore && !wroteModSeq {
		// RFC 7162 section 3.1.4: a change of flags is told with its
		// modseq.
		s.e.Raw(" MODSEQ (").Number64(int64(m.ModSeq)).Byte(')')
	}
	s.e.Raw(")\r\n")
	return nil
}

// load reads the whole message into c.
func (f *fetcher) load(m *storage.Message, c *content) error {
	if c.raw != nil {
		return nil
	}
	c.epoch = f.s.view.CacheEpoch()
	rc, size, err := f.s.view.Open(m.UID)
	if err != nil {
		return err
	}
	defer rc.Close()
	if c.raw, err = f.readAll(rc, size); err != nil {
		return err
	}
	c.root = message.Parse(c.raw)
	return nil
}

// readAll reads r to its end into the fetcher's buffer, which it grows to
// hold at least sizeHint bytes; the result is valid until the next call.
// Reusing one buffer spares a fresh, zeroed allocation per message.
func (f *fetcher) readAll(r io.Reader, sizeHint int64) ([]byte, error) {
	buf := slices.Grow(f.buf[:0], int(min(sizeHint, 1<<30))+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 64*1024)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			f.buf = buf
			return buf, nil
		}
		if err != nil {
			f.buf = buf
			return nil, err
		}
	}
}

// derived returns ENVELOPE, BODY or BODYSTRUCTURE from the shared cache,
// computing and caching it when missing.
func (f *fetcher) derived(m *storage.Message, c *content, key string) ([]byte, error) {
	v := f.s.view
	// The cache holds the values as they are sent: no parse, and no
	// interface to box each one in.
	if val, ok := v.CachedBytes(m.UID, key); ok {
		return val, nil
	}
	epoch := v.CacheEpoch()
	if c.root != nil {
		epoch = c.epoch // read before this
	}
	out, fields, buf, err := derive(v, m.UID, key, c.root, f.scratch, &f.fields)
	f.scratch = buf
	if err != nil {
		return nil, err
	}
	if fields != nil {
		cacheFieldsDerived(v, epoch, m.UID, fields, f.derivesSortKeys())
	}
	v.SetCachedSince(epoch, storage.CachedValue{UID: m.UID, Key: key, Value: out})
	return out, nil
}

// derivesSortKeys says whether deriving an envelope should cache the sort
// keys too: not when the full-text index build derives them (the same
// work twice cost a fifth of a first FETCH ENVELOPE). The search fields
// are always derived: SEARCH FROM wants them before the build is done.
func (f *fetcher) derivesSortKeys() bool {
	if f.buildDerives == 0 {
		f.buildDerives = -1
		if f.s.view.DerivesHeaders() {
			f.buildDerives = 1
		}
	}
	return f.buildDerives < 0
}

// derive computes ENVELOPE, BODY or BODYSTRUCTURE (by cache key) of
// message uid. It reads root, the message parsed whole, when the caller
// has it, or else the file as stored: only the header for ENVELOPE, into
// buf, which it returns for reuse. For ENVELOPE it returns the header's
// fields too, for what SORT and SEARCH derive from them (one walk of the
// header for all three), in fs when it is not nil; they are valid until
// buf or fs is reused.
func derive(v *storage.View, uid uint32, key string, root *message.Part, buf []byte, fs *message.Fields) (out []byte, fields *message.Fields, reuse []byte, err error) {
	switch key {
	case cacheEnvelope:
		var header []byte
		if root != nil {
			header = root.Header()
		} else {
			// As stored (LF line ends, usually: the envelope is the
			// same, and the CRLF converter would read 32 KB of the
			// file).
			h, err := v.StoredHeader(uid, buf[:0])
			if h != nil {
				buf = h[:0]
			}
			if err != nil {
				return nil, nil, buf, err
			}
			header = h
		}
		if fs == nil {
			fs = new(message.Fields)
		}
		fs.Reset(header)
		// Built on the stack and copied once, at its length: the
		// value stays in the cache of the mailbox.
		var env [1024]byte
		return bytes.Clone(fs.AppendEnvelope(env[:0])), fs, buf, nil
	case cacheBody, cacheBodyStructure:
		if root == nil {
			// Read as stored, front to back, never whole: ParseReader
			// counts sizes and lines as they are sent, without a CRLF
			// copy, and holds headers only.
			var err error
			if root, err = parseStored(v, uid); err != nil {
				return nil, nil, buf, err
			}
		}
		return root.AppendBodyStructure(nil, key == cacheBodyStructure), nil, buf, nil
	}
	return nil, nil, buf, fmt.Errorf("imap: no such derived item %q", key)
}

// prefillJob is one value prefill derives.
type prefillJob struct {
	uid uint32
	key string
	// For an envelope: whether the cache lacks the sort keys and the
	// search fields that come from the same header.
	wantSortKeys, wantSearch bool
	val, sortKeys, search    []byte // derived; val nil when it could not be
}

// prefill derives in parallel (readInParallel) the ENVELOPE, BODY and
// BODYSTRUCTURE values that the FETCH's items name and the cache lacks
// for msgs, when they are enough to pay for it, and caches them under one
// lock, so that fetchOne finds them cached: a first FETCH ENVELOPE of a
// large mailbox whose files are not in memory would otherwise wait for
// thousands of them one after another. A FETCH that reads every message
// whole anyway (a section or BINARY item) derives from what it read, in
// line, rather than read each message twice. Messages expunged (UID 0)
// or left out by CHANGEDSINCE (keep false) are skipped. A value that
// cannot be derived here is left to fetchOne, which tries again and
// answers for it.
func (f *fetcher) prefill(msgs []storage.Message, keep func(*storage.Message) bool) {
	if len(f.derivedKeys) == 0 || f.loadsWhole || len(msgs) < minParallelReads {
		return
	}
	v := f.s.view
	// Taken before any file is read: values read from a file of the
	// mailbox before another program reset it are not kept.
	epoch := v.CacheEpoch()
	uids := f.prefillUIDs[:0]
	for i := range msgs {
		if m := &msgs[i]; m.UID != 0 && keep(m) {
			uids = append(uids, m.UID)
		}
	}
	f.prefillUIDs = uids
	var jobs []prefillJob
	var missing []uint32
	for _, key := range f.derivedKeys {
		first := len(jobs)
		missing = v.UncachedBytes(uids, key, missing[:0])
		for _, uid := range missing {
			jobs = append(jobs, prefillJob{uid: uid, key: key})
		}
		if key == cacheEnvelope && len(jobs) > first {
			f.wantHeaderFields(jobs[first:])
		}
	}
	if len(jobs) < minParallelReads {
		return
	}
	readInParallel(len(jobs), func(i int, buf []byte) []byte {
		j := &jobs[i]
		fs := fieldsPool.Get().(*message.Fields)
		defer fieldsPool.Put(fs)
		out, fields, buf, err := derive(v, j.uid, j.key, nil, buf, fs)
		if err != nil {
			return buf
		}
		j.val = out
		if j.wantSortKeys {
			k := sortKeysFrom(fields)
			j.sortKeys = k.append(nil)
		}
		if j.wantSearch {
			j.search = searchFieldsFrom(fields)
		}
		return buf
	})
	cached := make([]storage.CachedValue, 0, len(jobs))
	for _, j := range jobs {
		if j.val == nil {
			continue
		}
		cached = append(cached, storage.CachedValue{UID: j.uid, Key: j.key, Value: j.val})
		if j.sortKeys != nil {
			cached = append(cached, storage.CachedValue{UID: j.uid, Key: cacheSortKeys, Value: j.sortKeys})
		}
		if j.search != nil {
			cached = append(cached, storage.CachedValue{UID: j.uid, Key: cacheSearchFields, Value: j.search})
		}
	}
	if v.SetCachedSince(epoch, cached...) {
		prefilled.Add(uint64(len(jobs)))
	}
}

// fieldsPool holds the message.Fields of prefill's readers: a Fields is
// reused from one header to the next rather than allocated for each.
var fieldsPool = sync.Pool{New: func() any { return new(message.Fields) }}

// prefilled counts the values prefill derived, for tests.
var prefilled atomic.Uint64

// wantHeaderFields sets, for envelope jobs, which of the values derived
// from the same header the cache lacks, as cacheFieldsDerived decides
// for one message.
func (f *fetcher) wantHeaderFields(jobs []prefillJob) {
	v := f.s.view
	uids := make([]uint32, len(jobs))
	for i := range jobs {
		uids[i] = jobs[i].uid
	}
	vals := make([]any, len(jobs))
	if f.derivesSortKeys() {
		v.CachedBatch(uids, cacheSortKeys, vals)
		for i, val := range vals {
			jobs[i].wantSortKeys = !sortKeysCurrent(val)
		}
	}
	v.CachedBatch(uids, cacheSearchFields, vals)
	for i, val := range vals {
		jobs[i].wantSearch = !searchFieldsCurrent(val)
	}
}

// parseStored parses message uid whole, as stored. The file is closed
// whatever happens: a parser's panic in a parallel reader is recovered
// (readInParallel), and must not leak it.
func parseStored(v *storage.View, uid uint32) (*message.Part, error) {
	rc, err := v.OpenStored(uid)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return message.ParseReader(rc)
}

// clip returns the offset and length of a partial fetch within size bytes.
func clip(size, offset, count int64) (int64, int64) {
	if offset >= size {
		return size, 0
	}
	return offset, min(count, size-offset)
}
