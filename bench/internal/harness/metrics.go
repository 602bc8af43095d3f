package harness

import (
	"fmt"
	"slices"
)

// Def describes one row of the report.
type Def struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Unit   string `json:"unit"`
	Higher bool   `json:"higher_is_better"`
}

// phases of the read commands.
var phases = []string{"first", "cold", "warm"}

// readOps are the commands measured in every phase.
var readOps = []struct{ key, label, unit string }{
	{"select", "SELECT INBOX", "ms"},
	{"noop", "NOOP, selected (the round trip's floor)", "ms"},
	{"fetch_flags", "FETCH 1:* (FLAGS)", "ms"},
	{"fetch_envelope", "FETCH 1:* (ENVELOPE)", "ms"},
	{"fetch_bodystructure", "FETCH 1:* (BODYSTRUCTURE)", "ms"},
	{"search_text", "SEARCH TEXT", "ms"},
	{"search_body", "SEARCH BODY", "ms"},
	{"search_from", "SEARCH FROM", "ms"},
	{"search_unseen", "SEARCH UNSEEN", "ms"},
	{"fetch_body", "UID FETCH <1000> BODY.PEEK[]", "MB/s"},
	{"fetch_body_cpu", "server CPU per byte, UID FETCH <1000> BODY.PEEK[]", "ns/B"},
}

// Defs lists the report's rows in order.
func Defs(p *Params) []Def {
	var defs []Def
	defs = append(defs,
		Def{"login_first", "LOGIN, first after a restart (no cache)", "ms", false},
		Def{"login", "LOGIN, repeated (auth caches on)", "ms", false})
	for _, op := range readOps {
		for _, ph := range phases {
			label := op.label
			switch op.key {
			case "fetch_body":
				label = fmt.Sprintf("UID FETCH %d msgs BODY.PEEK[]", p.FetchBodies)
			case "fetch_body_cpu":
				label = fmt.Sprintf("server CPU per byte, UID FETCH %d msgs BODY.PEEK[]", p.FetchBodies)
			}
			defs = append(defs, Def{op.key + "." + ph, label + " (" + ph + ")", op.unit, op.unit == "MB/s"})
		}
	}
	defs = append(defs,
		Def{"fts_build", fmt.Sprintf("full-text index build, %d msgs", p.N), "s", false},
		Def{"store_flags", fmt.Sprintf("STORE 1:%d +FLAGS (\\Flagged)", storeCount(p, p.N)), "ms", false},
		Def{"copy", fmt.Sprintf("COPY 1:%d to another mailbox", copyCount(p, p.N)), "ms", false},
		Def{"move", fmt.Sprintf("MOVE 1:%d to another mailbox", copyCount(p, p.N)), "ms", false},
		Def{"qresync", fmt.Sprintf("QRESYNC resync after 1%% of %d messages changed", p.N), "ms", false},
		Def{"append_1", "APPEND 4 KB, 1 client", "msg/s", true},
		Def{"append_n", fmt.Sprintf("APPEND 4 KB, %d clients", p.AppendClients), "msg/s", true},
		Def{"conn_setup", "connect+LOGIN+SELECT+IDLE", "conn/s", true},
		Def{"session", "session: LOGIN+SELECT+FETCH FLAGS+LOGOUT", "sess/s", true},
		Def{"session_inetd", "the same, a new process per session (-i)", "sess/s", true},
	)
	for _, n := range p.MixedClients {
		defs = append(defs,
			Def{fmt.Sprintf("mixed_%d", n), fmt.Sprintf("mixed workload, %d clients", n), "ops/s", true},
			Def{fmt.Sprintf("mixed_%d_p99", n), fmt.Sprintf("mixed workload, %d clients, p99", n), "ms", false})
	}
	defs = append(defs,
		Def{"idle_rss", fmt.Sprintf("RSS per IDLE client (%d clients)", p.IdleClients), "KiB", false},
		Def{"idle_pss", fmt.Sprintf("PSS per IDLE client (%d clients)", p.IdleClients), "KiB", false},
		Def{"idle_total_rss", fmt.Sprintf("server RSS with %d IDLE clients", p.IdleClients), "MiB", false},
		Def{"big_rss_delta", "peak RSS growth, FETCH largest message", "MiB", false},
		Def{"big_rss_peak", "peak RSS, FETCH largest message", "MiB", false},
		Def{"big_rate", "FETCH largest message", "MB/s", true},
		Def{"big_cpu", "server CPU per byte, FETCH largest message", "ns/B", false},
	)
	return defs
}

// Value is one metric of one server: every sample and their median.
type Value struct {
	Samples []float64 `json:"samples"`
	Median  float64   `json:"median"`
	Note    string    `json:"note,omitempty"`
	// Missing says, for each run that gave no sample, why (a server
	// CPU time that could not be read): such a run is not in Samples.
	Missing []string `json:"missing,omitempty"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile of xs, 0 <= q <= 1 (nearest rank).
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
