package fsutil

import (
	"hash/crc32"
	"sync"
)

// Castagnoli returns the CRC-32C table that mailgate's own files
// (indexes, journals, full-text segments) are checked with, made on first
// use: making it costs about 0.3 ms (the CPU's tables for long inputs,
// hash/crc32's castagnoliInit), which a process that never reads such a
// file (a command, a one-session process that opens no mailbox) should
// not pay as it starts. A daemon makes it at start (gateway.New).
var Castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })
