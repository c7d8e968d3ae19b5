package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

var _ StateKeyed = (*FittedRetention)(nil)

// checkStatesEqualDirect checks, for every customer with T > 0 of the
// summary, that the values computed once for the customer's state (from
// StateCustomer) are those of the customer itself, bit for bit, for
// several durations, P(alive) and the discounted purchases (finite and
// infinite horizons); and that each state's expected active periods equal
// the transition-matrix product (matrixActive) within 1e-12.
func checkStatesEqualDirect(t *testing.T, f *FittedRetention, s *datasets.Summary) {
	t.Helper()
	durations := []float64{0.5, 1, 13, 26.5, 39, 52}
	type value struct {
		purchases                  []float64
		alive, discounted, forever float64
	}
	perState := make([]value, f.States())
	for st := range perState {
		c := f.StateCustomer(st)
		if got := f.StateOf(c); got != st {
			t.Fatalf("StateCustomer(%d) is in state %d", st, got)
		}
		v := value{alive: f.ProbabilityAlive(c), discounted: f.DiscountedExpectedPurchasesWithin(c, 0.1, 52),
			forever: f.DiscountedExpectedPurchasesWithin(c, 0.1, math.Inf(1))}
		for _, d := range durations {
			v.purchases = append(v.purchases, f.ConditionalExpectedPurchases(c, d))
		}
		perState[st] = v
	}
	seen := make([]int, f.States())
	for _, cs := range s.Customers {
		if cs.T == 0 {
			continue
		}
		c := Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Activity: cs.Activity}
		st := f.StateOf(c)
		if st < 0 || st >= f.States() {
			t.Fatalf("customer %s: state %d outside [0, %d)", cs.ID, st, f.States())
		}
		seen[st]++
		want := perState[st]
		for k, d := range durations {
			if got := f.ConditionalExpectedPurchases(c, d); got != want.purchases[k] {
				t.Fatalf("customer %s (state %d): E[Y(%v)] %v, state value %v", cs.ID, st, d, got, want.purchases[k])
			}
		}
		if got := f.ProbabilityAlive(c); got != want.alive {
			t.Fatalf("customer %s (state %d): P(alive) %v, state value %v", cs.ID, st, got, want.alive)
		}
		if got := f.DiscountedExpectedPurchasesWithin(c, 0.1, 52); got != want.discounted {
			t.Fatalf("customer %s (state %d): discounted %v, state value %v", cs.ID, st, got, want.discounted)
		}
		if got := f.DiscountedExpectedPurchasesWithin(c, 0.1, math.Inf(1)); got != want.forever {
			t.Fatalf("customer %s (state %d): discounted forever %v, state value %v", cs.ID, st, got, want.forever)
		}
	}
	used := 0
	for _, n := range seen {
		if n > 0 {
			used++
		}
	}
	if used < 2 {
		t.Errorf("only %d of %d states hold customers: the check is too weak", used, f.States())
	}
	// The state values against the transition matrix (an independent path).
	for st := range perState {
		u := 26.5 / f.period
		want := matrixSum(f.chain.q, min(st, len(f.chain.q)-1), u)
		if sh := f.shorter; sh != nil {
			want = (1-f.shorterWeight)*want + f.shorterWeight*matrixSum(sh.q, min(st, len(sh.q)-1), u)
		}
		if got := perState[st].purchases[3] / f.m; math.Abs(got-want) > 1e-12*math.Max(1, want) {
			t.Errorf("state %d: %.15g active periods over %v, transition matrix %.15g", st, got, u, want)
		}
	}
	t.Logf("%d states, customers per state %v", f.States(), seen)
}

// matrixSum returns Σ_{j≤n} P_j + f·P_{n+1} for u = n + f periods from
// matrixActive.
func matrixSum(q []float64, start int, u float64) float64 {
	n := int(u)
	p := matrixActive(q, start, n+1)
	sum := 0.0
	for _, v := range p[:n] {
		sum += v
	}
	return sum + (u-float64(n))*p[n]
}

// TestRetentionStatesEqualDirect runs checkStatesEqualDirect on CDNOW and
// on a generated log (a migration-model base, monthly-ish periods and a
// blended memory), with the default memory and a fixed number of states.
func TestRetentionStatesEqualDirect(t *testing.T) {
	sim, calEnd, holdEnd := migrationTruth(t)
	logs := []struct {
		name string
		s    *datasets.Summary
	}{
		{"CDNOW weeks", cdnowLog(t, 7)},
		{"CDNOW months", cdnowLog(t, datasets.Month.Days())},
		{"generated", migrationSummary(t, sim, calEnd, holdEnd, 28)},
	}
	for _, lg := range logs {
		for _, model := range []Retention{{}, {RecencyStates: 3}} {
			t.Run(fmt.Sprintf("%s %+v", lg.name, model), func(t *testing.T) {
				f, _, _ := migrationFit(t, model, lg.s)
				checkStatesEqualDirect(t, f, lg.s)
			})
		}
	}
}

// lazyChain is the chain table as it was before it was precomputed: grown
// on demand to the periods a query needs, every start state at once,
// until the distributions stop changing or maxChainPeriods. It is the
// reference the precomputed table must reproduce bit for bit.
type lazyChain struct {
	q         []float64
	dist, cum [][]float64
	converged bool
}

func newLazyChain(q []float64) *lazyChain {
	c := &lazyChain{q: q, dist: make([][]float64, len(q)), cum: make([][]float64, len(q))}
	for r := range q {
		c.dist[r] = make([]float64, len(q))
		c.dist[r][r] = 1
		c.cum[r] = []float64{0}
	}
	return c
}

func (c *lazyChain) prefix(state, n int) []float64 {
	R := len(c.q) - 1
	for len(c.cum[state]) <= n && !c.converged && len(c.cum[state]) <= maxChainPeriods {
		change := 0.0
		for r, v := range c.dist {
			next := make([]float64, len(v))
			for k, mass := range v {
				next[0] += mass * c.q[k]
				next[min(k+1, R)] += mass * (1 - c.q[k])
			}
			diff := 0.0
			for k := range v {
				diff += math.Abs(next[k] - v[k])
			}
			change = math.Max(change, diff)
			c.dist[r] = next
			c.cum[r] = append(c.cum[r], c.cum[r][len(c.cum[r])-1]+next[0])
		}
		c.converged = change < 1e-16
	}
	return c.cum[state][:min(n+1, len(c.cum[state]))]
}

// TestChainTableMatchesLazy checks the precomputed chain table against the
// lazily grown one it replaced, for random chains and random sequences of
// queries (short and long, in any order): the same prefixes, bit for bit,
// including where convergence or maxChainPeriods cut them short (the
// periodic chain q = (0, 1) never converges).
func TestChainTableMatchesLazy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	chains := [][]float64{{0, 1}, {1, 0}, {0.6, 0.1}, {0.55, 0.3, 0.12, 0.05, 0.01}}
	for range 6 {
		q := make([]float64, 2+rng.IntN(12))
		for r := range q {
			q[r] = rng.Float64() * math.Pow(0.7, float64(r))
		}
		chains = append(chains, q)
	}
	for _, q := range chains {
		table, lazy := newChainTable(q), newLazyChain(q)
		for range 40 {
			state := rng.IntN(len(q))
			n := rng.IntN(400)
			if rng.IntN(10) == 0 {
				n = maxChainPeriods + 5
			}
			got, want := table.prefix(state, n), lazy.prefix(state, n)
			if len(got) != len(want) {
				t.Fatalf("q=%v state %d n=%d: %d values, lazy %d", q, state, n, len(got), len(want))
			}
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("q=%v state %d: cum[%d] = %v, lazy %v", q, state, j, got[j], want[j])
				}
			}
		}
	}
}

// BenchmarkRetentionPredictStates predicts 100,000 generated customers
// (random activity bitmaps over 52 weekly periods) per customer and per
// recency state: E[Y(26)], P(alive) and the discounted purchases over 52
// periods.
func BenchmarkRetentionPredictStates(b *testing.B) {
	q := []float64{0.5, 0.2, 0.12, 0.09, 0.07, 0.06, 0.05, 0.04, 0.035, 0.03, 0.025, 0.02, 0.02, 0.018, 0.015, 0.012, 0.01, 0.01}
	f := newFittedRetention(q, 1.6, 1, 52)
	f.shorter, f.shorterWeight = newChainTable(q[:len(q)-1]), 0.4
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]Customer, 100_000)
	for i := range cs {
		T := 1 + rng.Float64()*51
		act := rng.Uint64() & (1<<uint(T) - 1) >> uint(rng.IntN(20))
		cs[i] = Customer{Frequency: 3, Recency: T / 2, T: T, Activity: act}
	}
	predict := func(c Customer) float64 {
		return f.ConditionalExpectedPurchases(c, 26) + f.ProbabilityAlive(c) + f.DiscountedExpectedPurchasesWithin(c, 0.1, 52)
	}
	b.Run("per customer", func(b *testing.B) {
		sink := 0.0
		for b.Loop() {
			for _, c := range cs {
				sink += predict(c)
			}
		}
		_ = sink
	})
	b.Run("per state", func(b *testing.B) {
		sink := 0.0
		vals := make([]float64, f.States())
		for b.Loop() {
			for s := range vals {
				vals[s] = predict(f.StateCustomer(s))
			}
			for _, c := range cs {
				sink += vals[f.StateOf(c)]
			}
		}
		_ = sink
	})
}
