package storage

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestModSeqHostileLogSize: a .mailgate-modseq planted in a shared
// maildir with a sound header and snapshot and a huge (sparse) log is
// read as far as a real log can reach (maxModSeqLog records), through a
// small buffer. Reading the log whole made the process die (runtime out
// of memory), which no recover catches: the read runs in a child
// process, so that the test can report it.
func TestModSeqHostileLogSize(t *testing.T) {
	if p := os.Getenv("MAILGATE_TEST_MODSEQ_CHILD"); p != "" {
		mf, err := openModSeqFile(p, 0o600)
		if err == nil {
			mf.close()
		}
		return
	}
	path := filepath.Join(t.TempDir(), ".mailgate-modseq")
	snap := encodeSnapshot([]Message{{UID: 1, ModSeq: 5}}, nil, 0)
	data := append(encodeHeader(42, uint32(len(snap)), crc(snap), 4096, 9), snap...)
	if err := os.WriteFile(path, data, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 1<<42); err != nil { // 4 TiB, sparse
		t.Skip("no sparse file of 4 TiB here:", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestModSeqHostileLogSize$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILGATE_TEST_MODSEQ_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		n := min(len(out), 400)
		t.Fatalf("reading a planted modseq file with a 4 TiB sparse log killed the process: %v\n%s", err, out[:n])
	}
}
