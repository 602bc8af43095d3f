package gateway

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The text exposition is what client_golang wrote for the same metrics:
// families by name, label pairs by label name, series by labels,
// histograms cumulative with _sum and _count, values escaped.
func TestRegistryText(t *testing.T) {
	tests := []struct {
		name string
		fill func(r *registry)
		want string
	}{
		{"empty families are left out", func(r *registry) { r.counterVec("x_total", "X.", "a") }, ""},
		{"counter with labels sorted by name", func(r *registry) {
			f := r.counterVec("c_total", "Help \\ with\nnewline.", "zeta", "alpha")
			f.with("z2", "a1").inc()
			f.with("z1", "a\"q\"").inc()
			f.with("z1", "a\"q\"").inc()
		}, "# HELP c_total Help \\\\ with\\nnewline.\n# TYPE c_total counter\n" +
			"c_total{alpha=\"a1\",zeta=\"z2\"} 1\nc_total{alpha=\"a\\\"q\\\"\",zeta=\"z1\"} 2\n"},
		{"histogram", func(r *registry) {
			h := r.histogramVec("d_seconds", "D.", []float64{.5, 1}, "op")
			for _, v := range []float64{.1, .5, .7, 3} {
				h.with("get").observe(h, v)
			}
		}, "# HELP d_seconds D.\n# TYPE d_seconds histogram\n" +
			"d_seconds_bucket{op=\"get\",le=\"0.5\"} 2\nd_seconds_bucket{op=\"get\",le=\"1\"} 3\n" +
			"d_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\nd_seconds_sum{op=\"get\"} 4.3\nd_seconds_count{op=\"get\"} 4\n"},
		{"collected, and families by name", func(r *registry) {
			r.collected("b", "B.", "gauge", nil, func(emit func(float64, ...string)) { emit(math.Inf(1)) })
			r.collected("a", "A.", "gauge", []string{"k"}, func(emit func(float64, ...string)) {
				emit(2e6, "y")
				emit(0.25, "x")
			})
		}, "# HELP a A.\n# TYPE a gauge\na{k=\"x\"} 0.25\na{k=\"y\"} 2e+06\n# HELP b B.\n# TYPE b gauge\nb +Inf\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &registry{}
			tc.fill(r)
			var b bytes.Buffer
			r.write(&b)
			if b.String() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestHistogramConsistentWhileObserved: a scrape while other goroutines
// observe never shows +Inf (or _count) below a finite bucket, and a NaN
// counts only in +Inf.
func TestHistogramConsistentWhileObserved(t *testing.T) {
	r := &registry{}
	h := r.histogramVec("d_seconds", "D.", []float64{1, 10}, "op")
	s := h.with("x")
	s.observe(h, math.NaN())
	var b bytes.Buffer
	r.write(&b)
	if !strings.Contains(b.String(), `d_seconds_bucket{op="x",le="10"} 0`) || !strings.Contains(b.String(), `d_seconds_bucket{op="x",le="+Inf"} 1`) {
		t.Fatalf("a NaN observation:\n%s", b.String())
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					s.observe(h, 5)
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	for range 2000 {
		b.Reset()
		r.write(&b)
		var ten, inf, count float64
		for _, line := range strings.Split(b.String(), "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case `d_seconds_bucket{op="x",le="10"}`:
				ten = v
			case `d_seconds_bucket{op="x",le="+Inf"}`:
				inf = v
			case `d_seconds_count{op="x"}`:
				count = v
			}
		}
		if inf < ten || count != inf {
			t.Fatalf("le=10 %v, +Inf %v, _count %v:\n%s", ten, inf, count, b.String())
		}
	}
}
