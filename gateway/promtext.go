package gateway

import (
	"bytes"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// A small writer of Prometheus's text exposition format (version 0.0.4)
// for the gateway's handful of counters, one histogram and the values
// read at each scrape. It stands in for prometheus/client_golang, whose
// package initialisation (its default registry's Go and process
// collectors, procfs, protobuf) cost about 3 ms of CPU in every process
// that links it: every `mailgate -i` session paid that before its
// greeting, while only a daemon with [metrics] listen ever serves them.
// The output is what client_golang writes for the same metrics: families
// sorted by name, label pairs by label name, series by their labels.

// registry is a gateway's metric families.
type registry struct {
	mu       sync.Mutex
	families []*family
}

// family is one metric: a name, its help and type, and its series, kept
// (vec) or read at each scrape (collect).
type family struct {
	name, help, typ string
	labels          []string  // label names, in the order values are given
	buckets         []float64 // a histogram's upper bounds, ascending
	mu              sync.Mutex
	series          map[string]*series
	collect         func(emit func(v float64, values ...string))
}

// series is one labelled time series of a family.
type series struct {
	values []string
	v      atomicFloat     // a counter's or gauge's value
	counts []atomic.Uint64 // a histogram's observations per bucket, then above all (not cumulative)
	sum    atomicFloat
}

// atomicFloat is a float64 that goroutines add to without a lock.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(d float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }

// add registers a family and returns it.
func (r *registry) add(f *family) *family {
	if f.collect == nil {
		f.series = map[string]*series{}
	}
	r.mu.Lock()
	r.families = append(r.families, f)
	r.mu.Unlock()
	return f
}

// counterVec registers a counter with labels.
func (r *registry) counterVec(name, help string, labels ...string) *family {
	return r.add(&family{name: name, help: help, typ: "counter", labels: labels})
}

// histogramVec registers a histogram with labels and the given buckets.
func (r *registry) histogramVec(name, help string, buckets []float64, labels ...string) *family {
	return r.add(&family{name: name, help: help, typ: "histogram", labels: labels, buckets: buckets})
}

// collected registers a family (typ "counter" or "gauge") whose samples
// collect emits at each scrape.
func (r *registry) collected(name, help, typ string, labels []string, collect func(emit func(v float64, values ...string))) {
	r.add(&family{name: name, help: help, typ: typ, labels: labels, collect: collect})
}

// with returns the series of the label values, making it at zero the
// first time.
func (f *family) with(values ...string) *series {
	key := strings.Join(values, "\xff")
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.series[key]
	if s == nil {
		s = &series{values: slices.Clone(values)}
		if f.buckets != nil {
			s.counts = make([]atomic.Uint64, len(f.buckets)+1) // the last: above every bucket
		}
		f.series[key] = s
	}
	return s
}

// inc adds 1 to a counter.
func (s *series) inc() { s.v.add(1) }

// observe adds one observation to a histogram. A NaN counts only in
// +Inf, as client_golang counts it.
func (s *series) observe(f *family, v float64) {
	i := len(f.buckets)
	if !math.IsNaN(v) {
		i, _ = slices.BinarySearch(f.buckets, v)
	}
	s.counts[i].Add(1)
	s.sum.add(v)
}

// write appends the registry's text exposition to b.
func (r *registry) write(b *bytes.Buffer) {
	r.mu.Lock()
	fams := slices.Clone(r.families)
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	for _, f := range fams {
		f.write(b)
	}
}

// sample is one line's labels (rendered) and value.
type sample struct {
	labels string
	v      float64
}

func (f *family) write(b *bytes.Buffer) {
	var lines []sample
	suffixed := map[string][]sample{} // a histogram's _bucket, _sum, _count
	if f.collect != nil {
		f.collect(func(v float64, values ...string) {
			lines = append(lines, sample{labelString(f.labels, values, "", ""), v})
		})
	} else {
		f.mu.Lock()
		all := make([]*series, 0, len(f.series))
		for _, s := range f.series {
			all = append(all, s)
		}
		f.mu.Unlock()
		for _, s := range all {
			key := labelString(f.labels, s.values, "", "")
			lines = append(lines, sample{key, s.v.load()})
			if f.buckets == nil {
				continue
			}
			// Each slot is read once and the buckets, +Inf and _count all
			// come from those readings, so that an observation made
			// meanwhile never leaves +Inf below a finite bucket.
			var cum uint64
			for i, ub := range f.buckets {
				cum += s.counts[i].Load()
				suffixed[key] = append(suffixed[key], sample{"_bucket" + labelString(f.labels, s.values, "le", formatFloat(ub)), float64(cum)})
			}
			cum += s.counts[len(f.buckets)].Load()
			n := float64(cum)
			suffixed[key] = append(suffixed[key],
				sample{"_bucket" + labelString(f.labels, s.values, "le", "+Inf"), n},
				sample{"_sum" + key, s.sum.load()},
				sample{"_count" + key, n})
		}
	}
	if len(lines) == 0 {
		return
	}
	slices.SortFunc(lines, func(a, b sample) int { return strings.Compare(a.labels, b.labels) })
	b.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
	b.WriteString("# TYPE " + f.name + " " + f.typ + "\n")
	for _, l := range lines {
		if f.buckets != nil {
			for _, s := range suffixed[l.labels] {
				b.WriteString(f.name + s.labels + " " + formatFloat(s.v) + "\n")
			}
			continue
		}
		b.WriteString(f.name + l.labels + " " + formatFloat(l.v) + "\n")
	}
}

// labelString renders {name="value",...} with the pairs sorted by name
// and, when extra is not "", the pair extra=extraValue last (a
// histogram's le); "" for no labels.
func labelString(names, values []string, extra, extraValue string) string {
	if len(names) == 0 && extra == "" {
		return ""
	}
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	var sb strings.Builder
	sb.WriteByte('{')
	for n, i := range idx {
		if n > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(names[i] + `="` + escapeLabel(values[i]) + `"`)
	}
	if extra != "" {
		if len(idx) > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(extra + `="` + extraValue + `"`)
	}
	sb.WriteByte('}')
	return sb.String()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

// formatFloat writes a value as the text format does.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ServeHTTP serves the exposition.
func (r *registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	r.write(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes())
}
