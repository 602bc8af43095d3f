package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ratio is one ratio column: num's value divided by den's. A den of
// "dovecot-best" is the better, row by row, of Dovecot's default and
// high-performance modes.
type ratio struct{ num, den string }

// bestDovecot is the ratio column against the faster Dovecot.
const bestDovecot = "dovecot-best"

// WriteTable prints the report as a text table with the ratio columns.
func (r *Report) WriteTable(w io.Writer) {
	p := &r.Params
	fmt.Fprintf(w, "\nmailgate benchmark (%s): N=%d messages, seed %d, %d CPUs, %.1f GiB RAM, open files %d\n",
		p.Mode, p.N, p.Seed, r.Host.CPUs, r.Host.MemGiB, r.Host.NoFile)
	if r.Corpus.Messages > 0 {
		fmt.Fprintf(w, "corpus: %.1f MB, median message %d bytes, largest %.1f MB; %v\n",
			float64(r.Corpus.Bytes)/1e6, r.Corpus.MedianSize, float64(r.Corpus.Largest)/1e6, r.Corpus.Kinds)
	}
	fmt.Fprintf(w, "medians of %d first runs (the first access to the new mailbox, put back as written before each), %d cold runs (server restarted) and %d warm runs\n", p.FirstRuns, p.ColdRuns, p.WarmRuns)
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
	for _, rt := range []ratio{{"mailgate", "dovecot"}, {"mailgate", "dovecot-fast"}, {"mailgate", bestDovecot},
		{"mailgate", "imap4d"}, {"mailgate-mbox", "imap4d"}} {
		if rt.den == bestDovecot {
			if byName[rt.num] != nil && byName["dovecot"] != nil && byName["dovecot-fast"] != nil {
				ratios = append(ratios, rt)
			}
			continue
		}
		if byName[rt.num] != nil && byName[rt.den] != nil {
			ratios = append(ratios, rt)
		}
	}
	if len(ratios) > 0 {
		fmt.Fprintln(w, "ratio = mailgate's value / the other server's. Rows marked \"lower\": below 1 means mailgate is better;")
		fmt.Fprintln(w, "rows marked \"higher\": above 1 means mailgate is better. MB = 10^6 bytes, MiB/KiB = 2^20/2^10.")
		fmt.Fprintln(w, "Each value is the median, with the smallest and largest sample in brackets; mg/dove* is against")
		fmt.Fprintln(w, "the better of Dovecot's default and high-performance (dovecot-fast) modes on that row.")
	}
	fmt.Fprintln(w)

	const lw = 44
	const vw = 22 // "median [min-max]"
	fmt.Fprintf(w, "%-*s %-6s %-6s", lw, "metric", "unit", "better")
	for _, s := range cols {
		fmt.Fprintf(w, " %*s", vw, s.Name)
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
			if v == nil {
				fmt.Fprintf(w, " %*s", vw, "-")
				continue
			}
			mark := ""
			if v.Note != "" && len(v.Samples) > 0 {
				mark = "*"
				notes = append(notes, fmt.Sprintf("%s, %s: %s", s.Name, d.Label, v.Note))
			}
			if why := missingNote(v); why != "" {
				mark = "*"
				notes = append(notes, fmt.Sprintf("%s, %s: %s", s.Name, d.Label, why))
			}
			if len(v.Samples) == 0 {
				fmt.Fprintf(w, " %*s", vw, "-"+mark)
				continue
			}
			fmt.Fprintf(w, " %*s", vw, fmtNum(v.Median)+mark+spread(v))
		}
		for _, rt := range ratios {
			a, b := byName[rt.num].Metrics[d.Key], denominator(byName, rt.den, d)
			if !scorable(a) || !scorable(b) {
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
	writeBar(w, byName, r.Rows)
	if len(r.Load) > 0 {
		fmt.Fprintf(w, "\nload average (1 min) before -> after each step:")
		for i, l := range r.Load {
			if i%6 == 0 {
				fmt.Fprintf(w, "\n ")
			}
			fmt.Fprintf(w, " %s %.2f->%.2f;", l.Step, l.Before[0], l.After[0])
		}
		fmt.Fprintln(w)
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

// The performance bar (issue 14): a row passes when mailgate's median is
// at least barBetter times better than the better Dovecot's, and is
// "close" when it is within barClose of it (the bar for rows held by a
// physical limit such as fsync latency, which the report cannot know).
const (
	barBetter = 1.5
	barClose  = 1.1
)

// barClass says how mailgate's median a compares with Dovecot's b on a
// row whose better direction is higher (or lower): "pass", "close" or
// "behind". gain is how many times better mailgate is.
func barClass(a, b float64, higher bool) (class string, gain float64) {
	gain = b / a
	if higher {
		gain = a / b
	}
	switch {
	case gain >= barBetter:
		return "pass", gain
	case gain >= 1/barClose:
		return "close", gain
	}
	return "behind", gain
}

// writeBar prints, when mailgate and both Dovecot modes ran, how many
// rows meet the bar against the better Dovecot, and names the others. A
// row that Dovecot measures but on which mailgate or Dovecot has no figure
// (no sample, or a median of 0 or below) is counted and named as without
// a figure, never left out silently: the runs that gave no figure may be
// exactly those that would have scored worst. Rows Dovecot does not
// measure at all (the full-text build) are not scored.
func writeBar(w io.Writer, byName map[string]*ServerResult, rows []Def) {
	if byName["mailgate"] == nil || byName["dovecot"] == nil && byName["dovecot-fast"] == nil {
		return
	}
	den := bestDovecot
	dens := []string{"dovecot", "dovecot-fast"}
	if byName["dovecot"] == nil || byName["dovecot-fast"] == nil {
		den = "dovecot"
		if byName[den] == nil {
			den = "dovecot-fast"
		}
		dens = []string{den}
	}
	count := map[string]int{}
	var rest []string
	for _, d := range rows {
		measured := false
		for _, name := range dens {
			measured = measured || byName[name].Metrics[d.Key] != nil
		}
		if !measured {
			continue
		}
		a, b := byName["mailgate"].Metrics[d.Key], denominator(byName, den, d)
		if !scorable(a) || !scorable(b) {
			count["none"]++
			var why []string
			for _, name := range append([]string{"mailgate"}, dens...) {
				v := byName[name].Metrics[d.Key]
				if name != "mailgate" && (scorable(b) || v == nil) {
					continue // the better Dovecot has a figure, or this mode does not measure the row
				}
				if !scorable(v) {
					why = append(why, name+": "+noFigure(v))
				}
			}
			rest = append(rest, fmt.Sprintf("  no figure  %s (%s)", d.Label, strings.Join(why, "; ")))
			continue
		}
		class, gain := barClass(a.Median, b.Median, d.Higher)
		count[class]++
		if class != "pass" {
			rest = append(rest, fmt.Sprintf("  %-6s %-44s %s times better", class, d.Label, fmtRatio(gain)))
		}
	}
	fmt.Fprintf(w, "\nbar (mailgate at least %.1fx better than %s): %d rows pass, %d within %.1fx, %d behind, %d without a figure\n",
		barBetter, abbrev(den), count["pass"], count["close"], barClose, count["behind"], count["none"])
	for _, l := range rest {
		fmt.Fprintln(w, l)
	}
}

// noFigure says why a value that is not scorable has no figure.
func noFigure(v *Value) string {
	switch {
	case v == nil:
		return "not measured"
	case len(v.Samples) == 0 && len(v.Missing) > 0:
		why := fmt.Sprintf("none of %d runs gave one: %s", len(v.Missing), v.Missing[0])
		if others := len(v.Missing) - 1; others > 0 {
			why += fmt.Sprintf(" (and %d more)", others)
		}
		return why
	case len(v.Samples) == 0:
		return "no sample"
	}
	return "a median of " + fmtNum(v.Median)
}

// scorable tells whether a value may be compared with another's (in a
// ratio column and the bar): it has samples and a positive median. No
// row has a meaningful ratio to zero or below: a CPU time or a rate of 0
// is a figure that was not had, not a perfect score.
func scorable(v *Value) bool {
	return v != nil && len(v.Samples) > 0 && v.Median > 0
}

// missingNote says why runs of a value gave no sample, or "".
func missingNote(v *Value) string {
	if len(v.Missing) == 0 {
		return ""
	}
	runs := len(v.Samples) + len(v.Missing)
	why := v.Missing[0]
	if others := len(v.Missing) - 1; others > 0 {
		why += fmt.Sprintf(" (and %d more)", others)
	}
	if len(v.Samples) == 0 {
		return fmt.Sprintf("no figure in any of %d runs, left out of the ratios and scored in the bar as without a figure: %s", runs, why)
	}
	return fmt.Sprintf("no figure in %d of %d runs, the median is of the others: %s", len(v.Missing), runs, why)
}

// spread is " [min-max]" of a value with more than one sample.
func spread(v *Value) string {
	if len(v.Samples) < 2 {
		return ""
	}
	return " [" + fmtNum(slices.Min(v.Samples)) + "-" + fmtNum(slices.Max(v.Samples)) + "]"
}

// denominator is the value a ratio column divides by: the server's, or
// for bestDovecot the better of the two Dovecot modes on this row (of
// those with a figure, see scorable).
func denominator(byName map[string]*ServerResult, den string, d Def) *Value {
	if den != bestDovecot {
		return byName[den].Metrics[d.Key]
	}
	a, b := byName["dovecot"].Metrics[d.Key], byName["dovecot-fast"].Metrics[d.Key]
	switch {
	case !scorable(a):
		return b
	case !scorable(b):
		return a
	case d.Higher == (a.Median >= b.Median):
		return a
	}
	return b
}

func abbrev(name string) string {
	switch name {
	case bestDovecot:
		return "dove*"
	case "dovecot-fast":
		return "dvfast"
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
	return writeJSON(dir, r.Started.Format("20060102-150405")+"-"+r.Params.Mode+".json", r)
}

// writeJSON writes v, indented, to dir/name, making dir when needed, and
// returns the file's path: every report's WriteJSON.
func writeJSON(dir, name string, v any) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(data, '\n'), 0o644)
}
