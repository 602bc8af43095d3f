package imap_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// imaptestBinary is where .ci/run (with .ci/build-imaptest) puts
// Dovecot's imaptest.
const imaptestBinary = "/opt/imaptest/bin/imaptest"

// runImaptestGroups runs the scripted imaptest groups whose file names
// match pattern against a fresh server and returns imaptest's output.
// Each group's `capabilities:` header is checked against CAPABILITY
// first: imaptest counts a group whose capability is missing as passed.
func runImaptestGroups(t *testing.T, pattern string) string {
	return runImaptestGroupsAs(t, pattern, nil)
}

// runImaptestGroupsAs is runImaptestGroups with the `capabilities:`
// header of some groups rewritten (group file name → new header).
func runImaptestGroupsAs(t *testing.T, pattern string, header map[string]string) string {
	t.Helper()
	if _, err := os.Stat(imaptestBinary); err != nil {
		t.Skip("imaptest is not installed at " + imaptestBinary)
	}
	src := filepath.Join(filepath.Dir(filepath.Dir(imaptestBinary)), "share", "tests")
	names, _ := filepath.Glob(filepath.Join(src, "*"))
	re := regexp.MustCompile(pattern + `|^default$`)
	dir := t.TempDir()
	env := startServer(t, nil)
	c := env.raw()
	caps := strings.Fields(strings.ToUpper(c.ok("a CAPABILITY")[0]))
	n := 0
	for _, name := range names {
		base := filepath.Base(name)
		if !re.MatchString(strings.TrimSuffix(base, ".mbox")) {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := header[base]; ok {
			_, rest, _ := strings.Cut(string(data), "\n")
			data = []byte("capabilities: " + h + "\n" + rest)
		}
		if !strings.HasSuffix(base, ".mbox") {
			n++
			first, _, _ := strings.Cut(string(data), "\n")
			if want, ok := strings.CutPrefix(first, "capabilities:"); ok {
				for _, cp := range strings.Fields(strings.ToUpper(want)) {
					if !slices.Contains(caps, cp) {
						t.Errorf("group %s needs %s, which is not advertised", base, cp)
					}
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, base), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatalf("no imaptest group matches %s", pattern)
	}
	host, port, _ := strings.Cut(env.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, imaptestBinary, "host="+host, "port="+port,
		"user=alice", "pass=secret", "test="+dir).CombinedOutput()
	if err != nil {
		t.Errorf("imaptest: %v\n%s", err, out)
	}
	return string(out)
}

// checkImaptest fails the test unless imaptest's summary says every
// group passed, and logs the counts.
func checkImaptest(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`(\d+) test groups: (\d+) failed, (\d+) skipped`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("imaptest gave no summary:\n%s", out)
	}
	if testing.Verbose() {
		t.Log(out)
	}
	t.Logf("imaptest: %s test groups, %s failed, %s skipped", m[1], m[2], m[3])
	if m[2] != "0" || m[3] != "0" {
		t.Errorf("imaptest:\n%s", out)
	}
}

// TestImaptestSortThread runs imaptest's SORT and THREAD groups.
func TestImaptestSortThread(t *testing.T) {
	checkImaptest(t, runImaptestGroups(t, `^(sort-(addresses|arrival|date|display-from|display-to|size|subject)|thread[0-9]*|thread-orderedsubject[0-9]*)$`))
}

// TestImaptestESortPartial runs imaptest's esort group and its PARTIAL
// groups. sort-partial names CONTEXT=SORT, whose UPDATE of sorted results
// mailgate does not have, but tests only PARTIAL (RFC 9394, which took the
// option over from RFC 5267): it runs with its header saying so.
func TestImaptestESortPartial(t *testing.T) {
	checkImaptest(t, runImaptestGroupsAs(t, `^(esort|search-partial|sort-partial)$`, map[string]string{
		"sort-partial": "ESORT PARTIAL",
	}))
}

// TestImaptestSearchContext runs imaptest's CONTEXT=SEARCH groups: SEARCH
// RETURN (UPDATE) kept up to date with ADDTO and REMOVEFROM, and
// CANCELUPDATE.
func TestImaptestSearchContext(t *testing.T) {
	checkImaptest(t, runImaptestGroups(t, `^search-context-update[0-9]*$`))
}

// TestImaptestAllGroups runs every scripted imaptest group but those of
// capabilities not built (urlauth-binary: URLAUTH=BINARY) and the
// directory of deliberately broken scripts: 70 groups, base protocol and
// extensions, each of which must pass.
func TestImaptestAllGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("runs all of imaptest's groups")
	}
	checkImaptest(t, runImaptestGroups(t, `^([ac-tv-z0-9][a-z0-9-]*|urlauth2?|u[a-qs-z][a-z0-9-]*)$`))
}
