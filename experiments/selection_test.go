package experiments

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// tiedValues draws n values ≥ 0 with many ties (a few distinct levels,
// zeros among them) or, with spread, mostly distinct ones, some negative
// when signed.
func tiedValues(rng *rand.Rand, n int, spread, signed bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		if spread {
			v[i] = math.Ldexp(rng.Float64(), rng.IntN(40)-20)
		} else {
			v[i] = float64(rng.IntN(6)) / 4
		}
		if signed && rng.IntN(4) == 0 {
			v[i] = -v[i]
		}
	}
	return v
}

// shuffledIDs returns n numeric ids in a random order, some equal in value
// ("7" and "007") when padded, or text ids.
func shuffledIDs(rng *rand.Rand, n int, kind int) []string {
	ids := make([]string, n)
	for i, p := range rng.Perm(n) {
		switch kind {
		case 0:
			ids[i] = strconv.Itoa(p)
		case 1:
			ids[i] = strconv.Itoa(p / 2) // duplicate values, string ties
			if p%2 == 1 {
				ids[i] = "0" + ids[i]
			}
		default:
			ids[i] = "c" + strconv.Itoa(p)
		}
	}
	return ids
}

// TestSelectKeyMatchesSort checks the radix selection against the sorted
// keys for every k on small inputs and random k on larger ones.
func TestSelectKeyMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(3000)
		keys := make([]uint64, n)
		for i := range keys {
			switch trial % 3 {
			case 0:
				keys[i] = rng.Uint64()
			case 1:
				keys[i] = uint64(rng.IntN(7)) << uint(rng.IntN(60))
			default:
				keys[i] = math.Float64bits(float64(rng.IntN(50)) / 8)
			}
		}
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		ks := []int{0, n - 1, rng.IntN(n), n / 2}
		if n < 40 {
			ks = ks[:0]
			for k := range n {
				ks = append(ks, k)
			}
		}
		for _, k := range ks {
			if got := selectKey(slices.Clone(keys), k); got != sorted[k] {
				t.Fatalf("trial %d: key %d of %d is %x, want %x", trial, k, n, got, sorted[k])
			}
		}
	}
}

// TestQuantileSelectMatchesSorted checks the selected quantile against
// quantileSorted of the sorted values, ties, zeros and +Inf included.
func TestQuantileSelectMatchesSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 400 {
		v := tiedValues(rng, 1+rng.IntN(500), trial%2 == 0, false)
		if trial%5 == 0 {
			v[rng.IntN(len(v))] = math.Inf(1)
		}
		sorted := slices.Clone(v)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.25, 0.5, 0.9, 1, rng.Float64()} {
			got, want := quantileSelect(v, q), quantileSorted(sorted, q)
			if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("trial %d q %v: %v, want %v", trial, q, got, want)
			}
		}
	}
}

// assignTiersByOrder is AssignTiers by the full prediction order, as the
// tiers were first computed: the reference for the selection.
func assignTiersByOrder(ids []string, netCLV, aliveTime, age []float64, cfg TiersConfig) []Tier {
	n := len(netCLV)
	tiers := make([]Tier, n)
	ranked := make([]float64, n)
	for i, v := range netCLV {
		ranked[i] = max(v, 0)
	}
	order, _ := PredictionOrder(ids, ranked)
	best := int(math.Ceil(cfg.BestShare*float64(n) - 1e-9))
	var bestRates []float64
	for j, i := range order {
		switch {
		case !(netCLV[i] > 0):
			tiers[i] = TierNeverProfitable
		case j < best:
			tiers[i] = TierBest
			bestRates = append(bestRates, valueRate(netCLV[i], aliveTime[i]))
		default:
			tiers[i] = TierGood
		}
	}
	if len(bestRates) == 0 {
		return tiers
	}
	slices.Sort(bestRates)
	threshold := quantileSorted(bestRates, cfg.PotentialQuantile)
	youngAge := cfg.YoungShare * slices.Max(age)
	for i, t := range tiers {
		if t == TierGood && age[i] <= youngAge && valueRate(netCLV[i], aliveTime[i]) >= threshold {
			tiers[i] = TierPotential
		}
	}
	return tiers
}

// TestAssignTiersMatchesFullOrder checks the selected tiers, and the SQL
// cut-offs, against the tiers by the full order on random customers with
// many ties in net CLV across the best cut, shuffled numeric, padded and
// text ids, and zero times alive.
func TestAssignTiersMatchesFullOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cfgs := []TiersConfig{DefaultTiers(), {BestShare: 0.5, YoungShare: 0.5, PotentialQuantile: 0.3},
		{BestShare: 1, YoungShare: 1, PotentialQuantile: 1}, {BestShare: 0.01, YoungShare: 0, PotentialQuantile: 0}}
	for trial := range 240 {
		n := 1 + rng.IntN(400)
		ids := shuffledIDs(rng, n, trial%3)
		net := tiedValues(rng, n, trial%4 == 0, true)
		alive := tiedValues(rng, n, trial%2 == 0, false)
		age := tiedValues(rng, n, false, false)
		cfg := cfgs[trial%len(cfgs)]
		sc := NewScorer(ids)
		want := assignTiersByOrder(ids, net, alive, age, cfg)
		if got := AssignTiers(sc, net, alive, age, cfg); !slices.Equal(got, want) {
			t.Fatalf("trial %d (n %d, %+v): tiers\n%v, want\n%v", trial, n, cfg, got, want)
		}
		tc := newTierCuts(sc, net, alive, age, cfg)
		rank := sc.idRanks()
		for i, w := range want {
			if got := tc.tier(net[i], alive[i], age[i], int(rank[i])); got != w {
				t.Fatalf("trial %d: cut-offs give customer %d %v, want %v", trial, i, got, w)
			}
		}
	}
}

// methodValues hides a Prediction's columns, so that SummarizeTiers reads
// it through the TierValues methods.
type methodValues struct{ p *Prediction }

func (m methodValues) NetCLV(i int) float64 { return m.p.NetCLV(i) }
func (m methodValues) CLV(i int) float64    { return m.p.CLV(i) }
func (m methodValues) PAlive(i int) float64 { return m.p.PAlive(i) }

// TestSummarizeTiersColumnsMatchMethods checks that the summary of a
// Prediction read from its columns equals the one read customer by
// customer through its methods, to the bit.
func TestSummarizeTiersColumnsMatchMethods(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n, rows := 3000, 400
	p := &Prediction{rows: make([]int32, n), spend: tiedValues(rng, n, true, false), margin: 0.3,
		purchases: tiedValues(rng, rows, true, false), alive: tiedValues(rng, rows, true, false),
		discounted: tiedValues(rng, rows, true, false), aliveTime: tiedValues(rng, rows, true, false),
		net: NetCLVOptions{Margin: 0.3, CostPerPurchase: 0.01, CostPerCustomer: 0.002}}
	for i := range p.rows {
		p.rows[i] = int32(rng.IntN(rows))
	}
	ids := shuffledIDs(rng, n, 0)
	age := tiedValues(rng, n, false, false)
	p.tiers = AssignTiers(NewScorer(ids), p.Column(PredNetCLV), p.Column(PredAliveTime), age, DefaultTiers())
	rev := tiedValues(rng, n, true, false)
	for _, r := range [][]float64{rev, nil} {
		got, want := SummarizeTiers(p.tiers, p, r), SummarizeTiers(p.tiers, methodValues{p}, r)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Fatalf("from the columns %s\nby the methods %s", gb, wb)
		}
		// The total CLV taken in the same pass is the plain sum in
		// customer order, from the columns and by the methods.
		_, cols := summarizeTiers(p.tiers, p, r)
		_, methods := summarizeTiers(p.tiers, methodValues{p}, r)
		sum := 0.0
		for i := range n {
			sum += p.margin * p.spend[i] * p.discounted[p.rows[i]]
		}
		if cols != sum || methods != sum || totalCLV(p) != sum {
			t.Fatalf("total CLV %v from the columns, %v by the methods, %v by totalCLV; want %v", cols, methods, totalCLV(p), sum)
		}
	}
}

// TestMaxAge checks maxAge against slices.Max: the same largest value,
// NaN wherever a NaN stands, and a zero maximum of either sign.
func TestMaxAge(t *testing.T) {
	nan := math.NaN()
	for _, age := range [][]float64{{3}, {0, 5.5, 2}, {7, 1, 7}, {nan, 1}, {1, nan}, {1, nan, 9}, {math.Copysign(0, -1), 0}, {0, 0}, {math.Inf(1), 2}} {
		got, want := maxAge(age), slices.Max(age)
		if math.IsNaN(got) != math.IsNaN(want) || !math.IsNaN(want) && got != want {
			t.Errorf("maxAge(%v) = %v, slices.Max %v", age, got, want)
		}
	}
}
