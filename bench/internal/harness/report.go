package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// ratio is one ratio column: num's value divided by den's.
type ratio struct{ num, den string }

// WriteTable prints the report as a text table with the ratio columns.
func (r *Report) WriteTable(w io.Writer) {
	p := &r.Params
	fmt.Fprintf(w, "\nmailgate benchmark (%s): N=%d messages, seed %d, %d CPUs, %.1f GiB RAM, open files %d\n",
		p.Mode, p.N, p.Seed, r.Host.CPUs, r.Host.MemGiB, r.Host.NoFile)
	if r.Corpus.Messages > 0 {
		fmt.Fprintf(w, "corpus: %.1f MB, median message %d bytes, largest %.1f MB; %v\n",
			float64(r.Corpus.Bytes)/1e6, r.Corpus.MedianSize, float64(r.Corpus.Largest)/1e6, r.Corpus.Kinds)
	}
	fmt.Fprintf(w, "medians of %d cold runs (server restarted) and %d warm runs; \"first\" is the first access to the new mailbox\n", p.ColdRuns, p.WarmRuns)
	var cols []*ServerResult
	for _, s := range r.Servers {
		switch s.Status {
		case "skipped":
			fmt.Fprintf(w, "  %-14s skipped: %s\n", s.Name, s.Reason)
		case "failed":
			if s.Reason != "" {
				fmt.Fprintf(w, "  %-14s FAILED: %s\n", s.Name, firstLineOf(s.Reason))
			} else {
				fmt.Fprintf(w, "  %-14s %s (answered wrongly, see below)\n", s.Name, s.Version)
			}
			if len(s.Metrics) > 0 {
				cols = append(cols, s)
			}
		default:
			fmt.Fprintf(w, "  %-14s %s\n", s.Name, s.Version)
			cols = append(cols, s)
		}
	}
	byName := map[string]*ServerResult{}
	for _, s := range cols {
		byName[s.Name] = s
	}
	var ratios []ratio
	for _, rt := range []ratio{{"mailgate", "dovecot"}, {"mailgate", "imap4d"}, {"mailgate-mbox", "imap4d"}} {
		if byName[rt.num] != nil && byName[rt.den] != nil {
			ratios = append(ratios, rt)
		}
	}
	if len(ratios) > 0 {
		fmt.Fprintln(w, "ratio = mailgate's value / the other server's. Rows marked \"lower\": below 1 means mailgate is better;")
		fmt.Fprintln(w, "rows marked \"higher\": above 1 means mailgate is better. MB = 10^6 bytes, MiB/KiB = 2^20/2^10.")
	}
	fmt.Fprintln(w)

	const lw = 44
	fmt.Fprintf(w, "%-*s %-6s %-6s", lw, "metric", "unit", "better")
	for _, s := range cols {
		fmt.Fprintf(w, " %13s", s.Name)
	}
	for _, rt := range ratios {
		fmt.Fprintf(w, " %11s", abbrev(rt.num)+"/"+abbrev(rt.den))
	}
	fmt.Fprintln(w)
	var notes []string
	for _, d := range r.Rows {
		better := "lower"
		if d.Higher {
			better = "higher"
		}
		fmt.Fprintf(w, "%-*s %-6s %-6s", lw, d.Label, d.Unit, better)
		for _, s := range cols {
			v := s.Metrics[d.Key]
			if v == nil || len(v.Samples) == 0 {
				fmt.Fprintf(w, " %13s", "-")
			} else {
				mark := ""
				if v.Note != "" {
					mark = "*"
					notes = append(notes, fmt.Sprintf("%s, %s: %s", s.Name, d.Label, v.Note))
				}
				fmt.Fprintf(w, " %13s", fmtNum(v.Median)+mark)
			}
		}
		for _, rt := range ratios {
			a, b := byName[rt.num].Metrics[d.Key], byName[rt.den].Metrics[d.Key]
			if a == nil || b == nil || len(a.Samples) == 0 || len(b.Samples) == 0 || b.Median == 0 {
				fmt.Fprintf(w, " %11s", "-")
				continue
			}
			fmt.Fprintf(w, " %11s", fmtRatio(a.Median/b.Median))
		}
		fmt.Fprintln(w)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "* %s\n", n)
	}
	for _, s := range r.Servers {
		for _, k := range s.Known {
			fmt.Fprintf(w, "%s: %s\n", s.Name, k)
		}
		for _, e := range s.Errors {
			fmt.Fprintf(w, "%s: ERROR: %s\n", s.Name, e)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "harness: ERROR: %s\n", p)
	}
	if r.OK() {
		fmt.Fprintf(w, "\nresult: OK, every server that ran answered correctly (%.0fs)\n", r.Seconds)
	} else {
		fmt.Fprintf(w, "\nresult: FAILED (%.0fs)\n", r.Seconds)
	}
}

func abbrev(name string) string {
	switch name {
	case "mailgate":
		return "mg"
	case "mailgate-mbox":
		return "mgmbox"
	case "dovecot":
		return "dove"
	}
	return name
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func fmtRatio(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// WriteJSON writes the report to dir/<timestamp>.json and returns the
// file's path.
func (r *Report) WriteJSON(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(dir, r.Started.Format("20060102-150405")+"-"+r.Params.Mode+".json")
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return name, os.WriteFile(name, append(data, '\n'), 0o644)
}
