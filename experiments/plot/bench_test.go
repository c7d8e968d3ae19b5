package plot

import (
	"testing"
)

// benchInput is the fixture at n customers (generated day by day, see
// fixtureSummary) with the fixture's models and the retention heuristic
// fitted on made-up activity bitmaps (see retentionFixture).
func benchInput(b *testing.B, n int) *Input {
	b.Helper()
	in, err := InputFromArtifacts(fixtureArtifacts(b, n, 7))
	if err != nil {
		b.Fatal(err)
	}
	in.Models = append(in.Models, "retention")
	in.Fits["retention"] = retentionFixture(b, in)
	in.Predictions["retention"] = in.Predictions["average"]
	return in
}

// BenchmarkTracking100k computes the tracking plot's data for 100,000
// generated customers and five models: the factored BG/NBD, MBG/NBD and
// Pareto/NBD, the simple average (per distinct history) and the retention
// heuristic (per recency state).
func BenchmarkTracking100k(b *testing.B) {
	in := benchInput(b, 100_000)
	for b.Loop() {
		if _, err := Tracking(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute100k computes every figure's data for the same input.
func BenchmarkCompute100k(b *testing.B) {
	in := benchInput(b, 100_000)
	for b.Loop() {
		Compute(in)
	}
}
