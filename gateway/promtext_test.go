package gateway

import (
	"bytes"
	"math"
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
