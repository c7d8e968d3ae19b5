package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// nan is the expected value of an undefined metric.
var nan = math.NaN()

// closeTo reports whether got equals want within a relative tolerance tol
// (absolute when want is 0), treating two NaNs as equal.
func closeTo(got, want, tol float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	if want == 0 {
		return math.Abs(got) <= tol
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// wantScores lists expected Scores as plain float64 (NaN = undefined).
type wantScores struct {
	customers              int
	actualTotal, predTotal float64
	bias, mae, rmse, msle  float64
	pearson, spearman      float64
	top10, top20, gini     float64
}

func (w wantScores) compare(t *testing.T, got Scores, tol float64) {
	t.Helper()
	if got.Customers != w.customers {
		t.Errorf("customers = %d, want %d", got.Customers, w.customers)
	}
	for _, c := range []struct {
		name string
		got  Metric
		want float64
	}{
		{"actual_total", got.ActualTotal, w.actualTotal},
		{"predicted_total", got.PredictedTotal, w.predTotal},
		{"bias", got.Bias, w.bias},
		{"mae", got.MAE, w.mae},
		{"rmse", got.RMSE, w.rmse},
		{"msle", got.MSLE, w.msle},
		{"pearson", got.Pearson, w.pearson},
		{"spearman", got.Spearman, w.spearman},
		{"top10_share", got.Top10Share, w.top10},
		{"top20_share", got.Top20Share, w.top20},
		{"gini", got.Gini, w.gini},
	} {
		if !closeTo(float64(c.got), c.want, tol) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

var ln2 = math.Ln2

// TestScoreHandComputed checks Score against values worked out by hand
// (below each case); tolerance 1e-12 relative, as every expected value is
// an exact rational or a short closed form.
func TestScoreHandComputed(t *testing.T) {
	// Five customers, ids 1..5:
	//   actual    a = 0 1 3 2 0    A = 6
	//   predicted p = 1 3 1 2 0    P = 7
	// bias = 7/6 − 1 = 1/6
	// errors p−a = 1 2 −2 0 0: mae = 5/5 = 1, rmse = √(9/5)
	// log(1+p) − log(1+a) = ln2, ln2, −ln2, 0, 0: msle = 3·ln²2/5
	// Pearson: means 1.2 and 1.4; deviations a: −1.2 −0.2 1.8 0.8 −1.2,
	//   p: −0.4 1.6 −0.4 0.6 −1.4; Σ products 1.6, Σ squares 6.8 and 5.2:
	//   r = 1.6/√(6.8·5.2) = 1.6/√35.36
	// Spearman: ranks a = 1.5 3 5 4 1.5, p = 2.5 5 2.5 4 1, mean 3;
	//   Σ products 3.75, Σ squares 9.5 and 9.5: ρ = 3.75/9.5
	// Order by prediction, tie p = 1 between ids 1 and 3 broken by id:
	//   customers 2 4 1 3 5, actuals 1 2 0 3 0.
	// top10 = top20 = ⌈0.5⌉ = ⌈1⌉ = 1 customer: 1/6.
	// Gini weights n+1−2j = 4 2 0 −2 −4: Σ a·w = 4+4+0−6+0 = 2; perfect
	//   order 3 2 1 0 0: 12+4+0+0+0 = 16; gini = 2/16 = 1/8. By the
	//   cumulative-share definition: L = 1/6 3/6 3/6 1 1, G = (19/6 − 3)/5
	//   = 1/30; perfect L = 3/6 5/6 1 1 1, G = (26/6 − 3)/5 = 4/15; ratio 1/8.
	five := wantScores{
		customers: 5, actualTotal: 6, predTotal: 7,
		bias: 1.0 / 6, mae: 1, rmse: math.Sqrt(9.0 / 5), msle: 3 * ln2 * ln2 / 5,
		pearson: 1.6 / math.Sqrt(35.36), spearman: 3.75 / 9.5,
		top10: 1.0 / 6, top20: 1.0 / 6, gini: 1.0 / 8,
	}
	// The same data with the tie broken the other way (customer 3 before
	// customer 1): actuals in order 1 2 3 0 0, Σ a·w = 4+4+0+0+0 = 8,
	// gini = 8/16 = 1/2; nothing else depends on the tie.
	fiveOtherTie := five
	fiveOtherTie.gini = 0.5

	tests := []struct {
		name              string
		ids               []string
		predicted, actual []float64
		want              wantScores
	}{
		{"five customers", []string{"1", "2", "3", "4", "5"},
			[]float64{1, 3, 1, 2, 0}, []float64{0, 1, 3, 2, 0}, five},
		// Numeric ids: customer 3 is "9", customer 1 is "10"; 9 < 10.
		{"tie by numeric id", []string{"10", "2", "9", "4", "5"},
			[]float64{1, 3, 1, 2, 0}, []float64{0, 1, 3, 2, 0}, fiveOtherTie},
		// A non-numeric id switches to string order: "10" < "9".
		{"tie by string id", []string{"10", "b", "9", "d", "e"},
			[]float64{1, 3, 1, 2, 0}, []float64{0, 1, 3, 2, 0}, five},
		// Input order does not matter: the five customers shuffled.
		{"five customers shuffled", []string{"4", "1", "5", "3", "2"},
			[]float64{2, 1, 0, 1, 3}, []float64{2, 0, 0, 3, 1}, five},
		// One customer, p = 2, a = 3: bias = 2/3 − 1, errors 1, msle =
		// (ln3 − ln4)²; correlations and Gini undefined (constant); both
		// top shares take ⌈0.1⌉ = 1 customer: 3/3.
		{"one customer", []string{"a"}, []float64{2}, []float64{3}, wantScores{
			customers: 1, actualTotal: 3, predTotal: 2,
			bias: -1.0 / 3, mae: 1, rmse: 1, msle: math.Pow(math.Log(3)-math.Log(4), 2),
			pearson: nan, spearman: nan, top10: 1, top20: 1, gini: nan,
		}},
		// All actuals zero: bias, shares and Gini divide by A = 0, and the
		// correlations have a constant side. Errors are the predictions:
		// mae = 6/4, rmse = √(14/4), msle = (ln²2 + ln²3 + ln²4)/4.
		{"all-zero actuals", []string{"1", "2", "3", "4"},
			[]float64{1, 2, 3, 0}, []float64{0, 0, 0, 0}, wantScores{
				customers: 4, actualTotal: 0, predTotal: 6,
				bias: nan, mae: 1.5, rmse: math.Sqrt(3.5),
				msle:    (ln2*ln2 + math.Pow(math.Log(3), 2) + math.Pow(math.Log(4), 2)) / 4,
				pearson: nan, spearman: nan, top10: nan, top20: nan, gini: nan,
			}},
		// Perfect predictions: every error 0, correlations 1, Gini 1; top
		// ⌈0.4⌉ = ⌈0.8⌉ = 1 customer holds 4 of 10.
		{"perfect", []string{"1", "2", "3", "4"},
			[]float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, wantScores{
				customers: 4, actualTotal: 10, predTotal: 10,
				bias: 0, mae: 0, rmse: 0, msle: 0,
				pearson: 1, spearman: 1, top10: 0.4, top20: 0.4, gini: 1,
			}},
		// Reversed ranking: p = 5 − a. Correlations −1; the weights are
		// antisymmetric, so Gini = −1; the top customer has a = 1: 1/10.
		// errors 3 1 −1 −3: mae = 2, rmse = √5; msle = 2(ln²(5/2) + ln²(4/3))/4.
		{"reversed", []string{"1", "2", "3", "4"},
			[]float64{4, 3, 2, 1}, []float64{1, 2, 3, 4}, wantScores{
				customers: 4, actualTotal: 10, predTotal: 10,
				bias: 0, mae: 2, rmse: math.Sqrt(5),
				msle:    (math.Pow(math.Log(2.5), 2) + math.Pow(math.Log(4.0/3), 2)) / 2,
				pearson: -1, spearman: -1, top10: 0.1, top20: 0.1, gini: -1,
			}},
		// All predictions equal: Pearson and Spearman undefined; the ranking
		// is by id alone (1, 2, 3 → actuals 3, 0, 1): Σ a·w = 3·2 + 0 + 1·(−2)
		// = 4, perfect 3·2 + 1·0 + 0 = 6, gini = 2/3. errors −1 2 1: mae =
		// 4/3, rmse = √2; msle = (ln²(3/4) + ln²3 + ln²(3/2))/3. bias = 6/4 − 1.
		{"constant predictions", []string{"1", "2", "3"},
			[]float64{2, 2, 2}, []float64{3, 0, 1}, wantScores{
				customers: 3, actualTotal: 4, predTotal: 6,
				bias: 0.5, mae: 4.0 / 3, rmse: math.Sqrt(2),
				msle:    (math.Pow(math.Log(0.75), 2) + math.Pow(math.Log(3), 2) + math.Pow(math.Log(1.5), 2)) / 3,
				pearson: nan, spearman: nan, top10: 0.75, top20: 0.75, gini: 2.0 / 3,
			}},
		// Values near the float64 limit: the squared errors overflow and
		// rmse falls back to scaled sums; p = (1e300, 0), a = (0, 1e300):
		// mae = rmse = 1e300, Pearson and Spearman −1, Gini = −1e300/1e300.
		// msle = (ln(1e300))² (both terms equal), bias = 0.
		{"huge values", []string{"1", "2"},
			[]float64{1e300, 0}, []float64{0, 1e300}, wantScores{
				customers: 2, actualTotal: 1e300, predTotal: 1e300,
				bias: 0, mae: 1e300, rmse: 1e300, msle: math.Pow(300*math.Ln10, 2),
				pearson: -1, spearman: -1, top10: 0, top20: 0, gini: -1,
			}},
		// Values near the bottom of the float64 range: the squares underflow
		// and rmse, Pearson and Gini scale first. p = (1, 2, 3)·1e-300, a =
		// (1, 3, 2)·1e-300: errors 0, −1, 1 (·1e-300): mae = 2/3·1e-300,
		// rmse = √(2/3)·1e-300; Pearson of (1,2,3) and (1,3,2): deviations
		// (−1,0,1) and (−1,1,0), r = 1/2, and so ρ = 1/2; order 3 2 1 gives
		// actuals 2 3 1, Σ a·w = 2·2 + 0 − 2 = 2, perfect 3·2 − 1·2 = 4, gini
		// = 1/2; the top customer holds 2/6. msle = Σ d² with d ≈ 1e-300
		// underflows to 0.
		{"tiny values", []string{"1", "2", "3"},
			[]float64{1e-300, 2e-300, 3e-300}, []float64{1e-300, 3e-300, 2e-300}, wantScores{
				customers: 3, actualTotal: 6e-300, predTotal: 6e-300,
				bias: 0, mae: 2.0 / 3 * 1e-300, rmse: math.Sqrt(2.0/3) * 1e-300, msle: 0,
				pearson: 0.5, spearman: 0.5, top10: 1.0 / 3, top20: 1.0 / 3, gini: 0.5,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Score(tt.ids, tt.predicted, tt.actual)
			if err != nil {
				t.Fatalf("Score: %v", err)
			}
			tt.want.compare(t, got, 1e-12)
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		})
	}
}

// TestTopShareCeil checks the top-share counts ⌈0.1·n⌉ and ⌈0.2·n⌉ in
// integer arithmetic (0.1·30 is 3.0000000000000004 in float64, whose
// ceiling would wrongly be 4). Every actual is 1 and predictions are
// distinct, so a share is count/n.
func TestTopShareCeil(t *testing.T) {
	tests := []struct{ n, top10, top20 int }{
		{1, 1, 1}, {5, 1, 1}, {9, 1, 2}, {10, 1, 2}, {11, 2, 3},
		{30, 3, 6}, {70, 7, 14}, {101, 11, 21},
	}
	for _, tt := range tests {
		ids := make([]string, tt.n)
		p := make([]float64, tt.n)
		a := make([]float64, tt.n)
		for i := range tt.n {
			ids[i] = strconv.Itoa(i)
			p[i] = float64(tt.n - i)
			a[i] = 1
		}
		s, err := Score(ids, p, a)
		if err != nil {
			t.Fatalf("n=%d: %v", tt.n, err)
		}
		n := float64(tt.n)
		if want := float64(tt.top10) / n; !closeTo(float64(s.Top10Share), want, 1e-15) {
			t.Errorf("n=%d: top10_share = %v, want %d/%d", tt.n, s.Top10Share, tt.top10, tt.n)
		}
		if want := float64(tt.top20) / n; !closeTo(float64(s.Top20Share), want, 1e-15) {
			t.Errorf("n=%d: top20_share = %v, want %d/%d", tt.n, s.Top20Share, tt.top20, tt.n)
		}
	}
}

func TestPredictionOrder(t *testing.T) {
	tests := []struct {
		name      string
		ids       []string
		predicted []float64
		want      []int
	}{
		{"by prediction", []string{"a", "b", "c"}, []float64{1, 3, 2}, []int{1, 2, 0}},
		{"numeric ids", []string{"10", "9", "100", "2"}, []float64{1, 1, 1, 1}, []int{3, 1, 0, 2}},
		{"negative numeric ids", []string{"3", "-1", "+2"}, []float64{0, 0, 0}, []int{1, 2, 0}},
		{"string ids", []string{"b", "a10", "a9", "A"}, []float64{1, 1, 1, 1}, []int{3, 1, 2, 0}},
		{"mixed ids use strings", []string{"10", "9", "x"}, []float64{0, 0, 0}, []int{0, 1, 2}},
		{"too large for int64 uses strings", []string{"9", "10", "99999999999999999999"}, []float64{0, 0, 0}, []int{1, 0, 2}},
		{"numerically equal ids", []string{"7", "007"}, []float64{1, 1}, []int{1, 0}},
		{"identical ids keep input order", []string{"x", "x", "x"}, []float64{1, 2, 1}, []int{1, 0, 2}},
		{"negative zero ties with zero", []string{"2", "1"}, []float64{math.Copysign(0, -1), 0}, []int{1, 0}},
		{"prediction before id", []string{"1", "2", "3"}, []float64{1, 2, 1}, []int{1, 0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PredictionOrder(tt.ids, tt.predicted)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("PredictionOrder = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := PredictionOrder([]string{"a"}, []float64{-1}); err == nil {
		t.Error("PredictionOrder accepted a negative prediction")
	}
}

func TestScoreErrors(t *testing.T) {
	tests := []struct {
		name              string
		ids               []string
		predicted, actual []float64
		want              []string // substrings of the error
	}{
		{"ids length", []string{"a"}, []float64{1, 2}, []float64{1, 2}, []string{"1 customer ids but 2 predictions"}},
		{"actual length", []string{"a", "b"}, []float64{1, 2}, []float64{1}, []string{"2 predictions but 1 actuals"}},
		{"empty", nil, nil, nil, []string{"no customers"}},
		{"NaN prediction", []string{"a", "b", "c"}, []float64{1, 2, math.NaN()}, []float64{1, 2, 3},
			[]string{"predicted[2]", `customer "c"`, "NaN", "not finite"}},
		{"Inf actual", []string{"a", "b"}, []float64{1, 2}, []float64{math.Inf(1), 2},
			[]string{"actual[0]", `customer "a"`, "+Inf"}},
		{"negative actual", []string{"a", "b"}, []float64{1, 2}, []float64{1, -0.5},
			[]string{"actual[1]", `customer "b"`, "-0.5", "negative"}},
		{"negative prediction", []string{"a", "b"}, []float64{-1, 2}, []float64{1, 1},
			[]string{"predicted[0]", "negative"}},
		{"overflowing totals", []string{"a", "b"}, []float64{math.MaxFloat64, math.MaxFloat64}, []float64{1, 1},
			[]string{"overflow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Score(tt.ids, tt.predicted, tt.actual)
			if err == nil {
				t.Fatal("Score returned no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "score: ") {
				t.Errorf("error %q lacks the score: prefix", err)
			}
		})
	}
}

// naiveOrder sorts customers by insertion with the documented rule
// (prediction descending, then numeric id), for ids that are all integers.
func naiveOrder(ids []string, p []float64) []int {
	var order []int
	for i := range p {
		k := len(order)
		for k > 0 {
			j := order[k-1]
			ni, _ := strconv.Atoi(ids[i])
			nj, _ := strconv.Atoi(ids[j])
			if p[j] > p[i] || (p[j] == p[i] && nj < ni) {
				break
			}
			k--
		}
		order = slices.Insert(order, k, i)
	}
	return order
}

// naiveRanks gives the average ranks by counting: #{x_j < x_i} + (#{x_j =
// x_i} + 1)/2.
func naiveRanks(x []float64) []float64 {
	r := make([]float64, len(x))
	for i := range x {
		less, equal := 0, 0
		for j := range x {
			switch {
			case x[j] < x[i]:
				less++
			case x[j] == x[i]:
				equal++
			}
		}
		r[i] = float64(less) + float64(equal+1)/2
	}
	return r
}

// naiveGini follows the cumulative-share definition of Scores:
// G = (1/n)·Σ (L_k − k/n) in prediction order over the same in the order of
// the actuals.
func naiveGini(order []int, a []float64) float64 {
	g := func(v []float64) float64 {
		var total, cum, s float64
		for _, x := range v {
			total += x
		}
		n := float64(len(v))
		for k, x := range v {
			cum += x
			s += cum/total - float64(k+1)/n
		}
		return s / n
	}
	inPred := make([]float64, len(order))
	for j, i := range order {
		inPred[j] = a[i]
	}
	perfect := slices.Clone(a)
	slices.Sort(perfect)
	slices.Reverse(perfect)
	return g(inPred) / g(perfect)
}

// TestScoreAgainstReference compares Score on random data full of ties with
// independent, slow implementations: Pearson from gonum's
// stat.Correlation, Spearman from counted ranks, top shares and Gini from an
// insertion sort and the cumulative-share definition. Tolerance 1e-10,
// relative above 1 and absolute below (the naive sums are uncompensated).
func TestScoreAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 1 + rng.IntN(300)
		ids := make([]string, n)
		p := make([]float64, n)
		a := make([]float64, n)
		for i, k := range rng.Perm(n) {
			ids[i] = strconv.Itoa(k * 7)
			p[i] = float64(rng.IntN(8)) / 2 // many ties
			a[i] = float64(rng.IntN(5))
			if trial%2 == 0 {
				a[i] *= rng.Float64() * 100 // revenue-like
			}
		}
		got, err := Score(ids, p, a)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstNaive(t, fmt.Sprintf("trial %d (n=%d)", trial, n), ids, p, a, got)
	}
}

// checkAgainstNaive compares Scores with independent, slow
// implementations (see TestScoreAgainstReference); the ids must be
// integers.
func checkAgainstNaive(t *testing.T, label string, ids []string, p, a []float64, got Scores) {
	t.Helper()
	n := len(p)
	order := naiveOrder(ids, p)
	var A, top10, top20, mae float64
	for j, i := range order {
		A += a[i]
		if j < (n+9)/10 {
			top10 += a[i]
		}
		if j < (n+4)/5 {
			top20 += a[i]
		}
		mae += math.Abs(p[i]-a[i]) / float64(n)
	}
	want := map[string]float64{
		"mae": mae, "top10_share": top10 / A, "top20_share": top20 / A,
		"pearson": nan, "spearman": nan, "gini": nan,
	}
	if A == 0 {
		want["top10_share"], want["top20_share"] = nan, nan
	}
	if !constant(p) && !constant(a) {
		want["pearson"] = stat.Correlation(p, a, nil)
		want["spearman"] = stat.Correlation(naiveRanks(p), naiveRanks(a), nil)
	}
	if !constant(a) {
		want["gini"] = naiveGini(order, a)
	}
	for name, w := range want {
		v, _ := got.Value(name)
		// Absolute below 1: the naive Gini is a difference of O(1) sums.
		if !closeTo(v, w, 1e-10) && !(math.Abs(v-w) <= 1e-10) {
			t.Errorf("%s: %s = %v, want %v", label, name, v, w)
		}
	}
}

// TestScoreDeterministic checks that the JSON of Score is byte-identical
// across calls and that it does not depend on the input order of the
// customers beyond the last bits of the sums (1e-13 relative).
func TestScoreDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 2000
	ids := make([]string, n)
	p := make([]float64, n)
	a := make([]float64, n)
	for i := range n {
		ids[i] = fmt.Sprintf("c%05d", i)
		p[i] = math.Round(rng.ExpFloat64()*4) / 4
		a[i] = float64(rng.IntN(6))
	}
	first, err := Score(ids, p, a)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(first)
	second, _ := Score(ids, p, a)
	b2, _ := json.Marshal(second)
	if string(b1) != string(b2) {
		t.Fatalf("two calls differ:\n%s\n%s", b1, b2)
	}
	perm := rng.Perm(n)
	ids2, p2, a2 := make([]string, n), make([]float64, n), make([]float64, n)
	for i, k := range perm {
		ids2[i], p2[i], a2[i] = ids[k], p[k], a[k]
	}
	shuffled, err := Score(ids2, p2, a2)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range MetricNames() {
		x, _ := first.Value(name)
		y, _ := shuffled.Value(name)
		if !closeTo(y, x, 1e-13) {
			t.Errorf("%s: %v in input order, %v shuffled", name, x, y)
		}
	}
}

func TestScoresJSON(t *testing.T) {
	s, err := Score([]string{"1", "2"}, []float64{1, 2}, []float64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"customers":2,"actual_total":0,"predicted_total":3,"bias":null,` +
		`"mae":1.5,"rmse":1.5811388300841898,"msle":0.8437009873653916,"pearson":null,` +
		`"spearman":null,"top10_share":null,"top20_share":null,"gini":null}`
	// rmse = √(5/2); msle = (ln²2 + ln²3)/2.
	if string(b) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", b, want)
	}
	var back Scores
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, name := range MetricNames() {
		x, _ := s.Value(name)
		y, _ := back.Value(name)
		if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
			t.Errorf("%s: %v before JSON, %v after", name, x, y)
		}
	}
	if !closeTo(float64(s.RMSE), math.Sqrt(2.5), 1e-15) || !closeTo(float64(s.MSLE), (ln2*ln2+math.Pow(math.Log(3), 2))/2, 1e-15) {
		t.Errorf("rmse %v or msle %v off their closed forms", s.RMSE, s.MSLE)
	}
}

func TestScoresValue(t *testing.T) {
	s := Scores{Customers: 7, MAE: 0.5, Gini: Metric(nan)}
	names := MetricNames()
	if len(names) != 12 || names[0] != "customers" || names[11] != "gini" {
		t.Fatalf("MetricNames = %v", names)
	}
	names[0] = "changed"
	if MetricNames()[0] != "customers" {
		t.Error("MetricNames shares its slice with the caller")
	}
	if v, ok := s.Value("customers"); !ok || v != 7 {
		t.Errorf("Value(customers) = %v, %v", v, ok)
	}
	if v, ok := s.Value("mae"); !ok || v != 0.5 {
		t.Errorf("Value(mae) = %v, %v", v, ok)
	}
	if v, ok := s.Value("gini"); !ok || !math.IsNaN(v) {
		t.Errorf("Value(gini) = %v, %v", v, ok)
	}
	if _, ok := s.Value("MAE"); ok {
		t.Error("Value accepted MAE (names are the lower-case JSON names)")
	}
	// Every JSON field has a Value, and Values agrees with it.
	var fields map[string]any
	b, _ := json.Marshal(s)
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	vals := s.Values()
	if len(fields) != len(MetricNames()) || len(vals) != len(fields) {
		t.Errorf("%d JSON fields, %d Values, %d names", len(fields), len(vals), len(MetricNames()))
	}
	for _, name := range MetricNames() {
		if _, ok := fields[name]; !ok {
			t.Errorf("JSON lacks %q", name)
		}
	}
}

func TestMetricJSON(t *testing.T) {
	tests := []struct {
		m    Metric
		want string
	}{
		{Metric(nan), "null"},
		{Metric(math.Inf(1)), "null"},
		{Metric(math.Inf(-1)), "null"},
		{0, "0"},
		{Metric(math.Copysign(0, -1)), "0"},
		{0.1, "0.1"},
		{-2.5, "-2.5"},
		{1e21, "1e+21"},
		{1.0 / 3, "0.3333333333333333"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.m)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", float64(tt.m), b, err, tt.want)
		}
		var back Metric
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", b, err)
		}
		if tt.m.Defined() && back != tt.m || !tt.m.Defined() && !math.IsNaN(float64(back)) {
			t.Errorf("%s read back as %v", b, back)
		}
	}
	for _, bad := range []string{`"1"`, "Inf", "NaN", "0x1p-2", "+1", "01", "1.", ".5", "1e", "1_0", "1e400", "", "true"} {
		var m Metric
		if err := m.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%q) = %v, want an error", bad, m)
		}
	}
	if s := Metric(nan).String(); s != "NaN" {
		t.Errorf("String(NaN) = %q", s)
	}
}

// FuzzMetricJSON checks that Metric.UnmarshalJSON accepts exactly the JSON
// numbers encoding/json accepts for a float64 (plus null), with the same
// value, and that a decoded value marshals back to the same float.
func FuzzMetricJSON(f *testing.F) {
	for _, s := range []string{"null", "0", "-0", "1.5e-3", "1E+2", "01", "1e400", " 2 ", "Infinity", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m Metric
		err := m.UnmarshalJSON([]byte(s))
		var ref float64
		refErr := json.Unmarshal([]byte(s), &ref)
		trimmed := strings.Trim(s, " \t\n\r")
		if trimmed == "null" {
			if err != nil || !math.IsNaN(float64(m)) {
				t.Fatalf("null gave %v, %v", m, err)
			}
			return
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%q: Metric error %v, encoding/json error %v", s, err, refErr)
		}
		if err != nil {
			return
		}
		if float64(m) != ref {
			t.Fatalf("%q: Metric %v, encoding/json %v", s, float64(m), ref)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Metric
		if err := json.Unmarshal(b, &back); err != nil || back != m {
			t.Fatalf("%q → %s → %v, %v", s, b, back, err)
		}
	})
}

func TestSplitMetricPath(t *testing.T) {
	tests := []struct {
		path                  string
		model, target, metric string
		err                   string
	}{
		{"bgnbd.holdout.mae", "bgnbd", "holdout", "mae", ""},
		{"bgnbd.holdout_revenue.top20_share", "bgnbd", "holdout_revenue", "top20_share", ""},
		{"my.model.holdout.gini", "my.model", "holdout", "gini", ""},
		{"mae", "", "", "", "want model.target.metric"},
		{"holdout.mae", "", "", "", "want model.target.metric"},
		{".holdout.mae", "", "", "", "empty part"},
		{"bgnbd..mae", "", "", "", "empty part"},
		{"bgnbd.holdout.", "", "", "", "empty part"},
		{"bgnbd.holdout.MAE", "", "", "", `unknown metric "MAE"`},
	}
	for _, tt := range tests {
		m, tg, mt, err := SplitMetricPath(tt.path)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("SplitMetricPath(%q) error %v, want %q", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil || m != tt.model || tg != tt.target || mt != tt.metric {
			t.Errorf("SplitMetricPath(%q) = %q, %q, %q, %v", tt.path, m, tg, mt, err)
		}
	}
}

// FuzzSplitMetricPath checks that an accepted path is exactly its parts
// joined by dots, with no empty part and a known metric.
func FuzzSplitMetricPath(f *testing.F) {
	for _, s := range []string{"bgnbd.holdout.mae", "a.b.c.gini", "..", "x.y.", "é.ü.bias"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		m, tg, mt, err := SplitMetricPath(path)
		if err != nil {
			return
		}
		if m+"."+tg+"."+mt != path || m == "" || tg == "" || strings.Contains(tg, ".") ||
			!slices.Contains(MetricNames(), mt) {
			t.Fatalf("SplitMetricPath(%q) = %q, %q, %q", path, m, tg, mt)
		}
	})
}

func TestScoreSetLookup(t *testing.T) {
	set := ScoreSet{
		"bgnbd": {
			"holdout":         {Customers: 10, MAE: 0.8},
			"holdout_revenue": {Top20Share: 0.55, Gini: Metric(nan)},
		},
		"pareto.nbd": {"holdout": {MAE: 0.7}},
	}
	tests := []struct {
		path string
		want float64
		ok   bool
	}{
		{"bgnbd.holdout.mae", 0.8, true},
		{"bgnbd.holdout.customers", 10, true},
		{"bgnbd.holdout_revenue.top20_share", 0.55, true},
		{"bgnbd.holdout_revenue.gini", nan, true},
		{"pareto.nbd.holdout.mae", 0.7, true},
		{"bgnbd.holdout.nope", 0, false},
		{"mbgnbd.holdout.mae", 0, false},
		{"bgnbd.calibration.mae", 0, false},
		{"mae", 0, false},
	}
	for _, tt := range tests {
		v, ok := set.Lookup(tt.path)
		if ok != tt.ok || ok && !closeTo(v, tt.want, 0) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.path, v, ok, tt.want, tt.ok)
		}
	}
	paths := set.Paths()
	if len(paths) != 3*12 || !slices.IsSorted(paths) || paths[0] != "bgnbd.holdout.actual_total" {
		t.Errorf("Paths = %v", paths)
	}
	for _, p := range paths {
		if _, ok := set.Lookup(p); !ok {
			t.Errorf("Paths lists %q, which Lookup does not find", p)
		}
	}
}

// BenchmarkScore1M scores one million customers with many tied predictions
// and numeric ids, the size of a large retailer's customer base.
func BenchmarkScore1M(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(5, 6))
	ids := make([]string, n)
	p := make([]float64, n)
	a := make([]float64, n)
	for i := range n {
		ids[i] = strconv.Itoa(rng.IntN(1 << 40))
		p[i] = math.Round(rng.ExpFloat64()*100) / 100
		a[i] = float64(rng.IntN(4))
	}
	for b.Loop() {
		if _, err := Score(ids, p, a); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleScore() {
	ids := []string{"1", "2", "3", "4", "5"}
	predicted := []float64{1, 3, 1, 2, 0}
	actual := []float64{0, 1, 3, 2, 0}
	s, err := Score(ids, predicted, actual)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mae %.4f rmse %.4f msle %.4f\n", s.MAE, s.RMSE, s.MSLE)
	fmt.Printf("pearson %.4f spearman %.4f gini %.4f\n", s.Pearson, s.Spearman, s.Gini)
	b, _ := json.Marshal(Scores{Customers: 1, Bias: Metric(math.NaN())})
	fmt.Println(string(b))
	// Output:
	// mae 1.0000 rmse 1.3416 msle 0.2883
	// pearson 0.2691 spearman 0.3947 gini 0.1250
	// {"customers":1,"actual_total":0,"predicted_total":0,"bias":null,"mae":0,"rmse":0,"msle":0,"pearson":0,"spearman":0,"top10_share":0,"top20_share":0,"gini":0}
}

func ExamplePredictionOrder() {
	// Customers "10" and "9" tie; numeric ids sort 9 before 10.
	order, err := PredictionOrder([]string{"10", "9", "3"}, []float64{0.5, 0.5, 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(order)
	// Output: [2 1 0]
}

func ExampleMetric_MarshalJSON() {
	b, _ := json.Marshal([]Metric{0.25, Metric(math.NaN()), 1e-7})
	fmt.Println(string(b))
	// Output: [0.25,null,1e-07]
}

// TestScoreSummationOrder checks Score, bit for bit, against the
// documented sums computed the plain way: every sum compensated (ksum) in
// the order Score promises — customer order for the totals, the errors
// and both correlations (means from their own sums), prediction order
// from a comparison sort for the top shares and the Gini numerator, the
// actuals sorted descending for its denominator — with ranks counted
// naively. Predictions by pattern row (ties across rows) and by customer
// (ties at zero and elsewhere), integer and revenue-like actuals, on a
// pattern Scorer and a plain one, and after the orders are forgotten and
// made again from reused slices.
func TestScoreSummationOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const n, rows = 1500, 200
	ids, rowOf := patternCustomers(rng, n, rows)
	rowValue := make([]float64, rows)
	for r := range rowValue {
		rowValue[r] = float64(rng.IntN(60)) / 9
	}
	purchases, revenue, buys, spend := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, r := range rowOf {
		purchases[i] = rowValue[r]
		revenue[i] = purchases[i] * (5 + math.Round(rng.ExpFloat64()*900)/100)
		if i%50 == 0 {
			revenue[i] = 7 // ties away from zero too
		}
		buys[i] = float64(rng.IntN(4))
		spend[i] = buys[i] * math.Round(rng.ExpFloat64()*3000) / 100
	}
	sc, err := NewPatternScorer(ids, rowOf, rows)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for _, scorer := range []*Scorer{sc, NewScorer(ids)} {
			for _, pa := range [][2][]float64{{purchases, buys}, {revenue, spend}, {purchases, spend}} {
				got, err := scorer.Score(pa[0], pa[1])
				if err != nil {
					t.Fatal(err)
				}
				if want := referenceScores(ids, pa[0], pa[1]); !sameScores(got, want) {
					t.Errorf("round %d: scores\n%+v, want\n%+v", round, got, want)
				}
			}
		}
		sc.forget(purchases)
		sc.forget(revenue)
	}
}

// sameScores reports whether two Scores hold the same bits.
func sameScores(a, b Scores) bool {
	for _, name := range MetricNames() {
		x, _ := a.Value(name)
		y, _ := b.Value(name)
		if math.Float64bits(x) != math.Float64bits(y) && !(math.IsNaN(x) && math.IsNaN(y)) {
			return false
		}
	}
	return true
}

// referenceScores computes Scores by their definitions with the sums
// Score documents (see TestScoreSummationOrder), for integer ids and
// values of ordinary size (no scaling).
func referenceScores(ids []string, p, a []float64) Scores {
	n := len(p)
	fn := float64(n)
	var P, A, abs, sq, sle ksum
	for i := range p {
		P.add(p[i])
		A.add(a[i])
		e := math.Abs(p[i] - a[i])
		abs.add(e)
		sq.add(e * e)
		d := math.Log1p(p[i]) - math.Log1p(a[i])
		sle.add(d * d)
	}
	s := Scores{
		Customers: n, ActualTotal: Metric(A.value()), PredictedTotal: Metric(P.value()),
		Bias: Metric(P.value()/A.value() - 1), MAE: Metric(abs.value() / fn), RMSE: Metric(math.Sqrt(sq.value() / fn)),
		MSLE: Metric(sle.value() / fn), Pearson: Metric(plainCorrelation(p, a)),
		Spearman: Metric(plainCorrelation(naiveRanks(p), naiveRanks(a))),
	}
	order := naiveOrder(ids, p)
	var top10, top20, num ksum
	for j, i := range order {
		if j < topCount(n, 10) {
			top10.add(a[i])
		}
		if j < topCount(n, 20) {
			top20.add(a[i])
		}
		num.add(a[i] * float64(n+1-2*(j+1)))
	}
	s.Top10Share, s.Top20Share = Metric(top10.value()/A.value()), Metric(top20.value()/A.value())
	desc := slices.Clone(a)
	slices.Sort(desc)
	slices.Reverse(desc)
	var den ksum
	for j, v := range desc {
		den.add(v * float64(n+1-2*(j+1)))
	}
	s.Gini = Metric(max(-1, min(1, num.value()/den.value())))
	return s
}

// plainCorrelation is Pearson's correlation with compensated sums in
// index order: the means first, then Σ dx·dy, Σ dx² and Σ dy².
func plainCorrelation(x, y []float64) float64 {
	var mx, my ksum
	for i := range x {
		mx.add(x[i])
		my.add(y[i])
	}
	meanX, meanY := mx.value()/float64(len(x)), my.value()/float64(len(y))
	var sxy, sxx, syy ksum
	for i := range x {
		dx, dy := x[i]-meanX, y[i]-meanY
		sxy.add(dx * dy)
		sxx.add(dx * dx)
		syy.add(dy * dy)
	}
	return max(-1, min(1, sxy.value()/(math.Sqrt(sxx.value())*math.Sqrt(syy.value()))))
}

// neumaierAdd is Neumaier's step as first written (and as ksum.add was):
// the rounding error of s + x taken with the larger operand first.
func neumaierAdd(s, c, x float64) (float64, float64) {
	t := s + x
	if math.Abs(s) >= math.Abs(x) {
		c += (s - t) + x
	} else {
		c += (x - t) + s
	}
	return t, c
}

// TestKsumTwoSum holds ksum.add (Knuth's TwoSum) to Neumaier's branching
// step bit for bit, and both to the exact rounding error s + x − t taken
// in math/big, over sums whose terms change sign and magnitude (where the
// branch takes turns), cancel the running sum exactly, and span 2^±300.
func TestKsumTwoSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	term := []func(s float64) float64{
		func(float64) float64 { return rng.ExpFloat64() },
		func(float64) float64 { return rng.NormFloat64() * math.Ldexp(1, rng.IntN(120)-60) },
		func(float64) float64 { return math.Ldexp(rng.NormFloat64(), rng.IntN(600)-300) },
		func(s float64) float64 { return -s }, // back to zero, exactly
		func(s float64) float64 { return -s * (1 + 0x1p-52) },
		func(float64) float64 { return float64(rng.IntN(7)) },
	}
	for trial := range 200 {
		var k ksum
		s, c := 0.0, 0.0
		for step := range 500 {
			x := term[rng.IntN(len(term))](k.s)
			before := k.s
			k.add(x)
			s, c = neumaierAdd(s, c, x)
			if math.Float64bits(k.s) != math.Float64bits(s) || math.Float64bits(k.c) != math.Float64bits(c) {
				t.Fatalf("trial %d step %d: TwoSum gives (%v, %v), Neumaier (%v, %v)", trial, step, k.s, k.c, s, c)
			}
			// The error the step added is exactly before + x − k.s.
			exact := new(big.Float).SetPrec(2200).SetFloat64(before)
			exact.Add(exact, new(big.Float).SetFloat64(x))
			exact.Sub(exact, new(big.Float).SetFloat64(k.s))
			z := k.s - before
			if got, _ := exact.Float64(); got != (before-(k.s-z))+(x-z) {
				t.Fatalf("trial %d step %d: error term %v, exact %v", trial, step, (before-(k.s-z))+(x-z), got)
			}
		}
	}
	// Past an overflow both give a NaN value.
	for _, xs := range [][]float64{{math.MaxFloat64, math.MaxFloat64}, {-math.MaxFloat64, -math.MaxFloat64, 1}} {
		var k ksum
		s, c := 0.0, 0.0
		for _, x := range xs {
			k.add(x)
			s, c = neumaierAdd(s, c, x)
		}
		if !math.IsNaN(k.value()) || !math.IsNaN(s+c) {
			t.Errorf("%v: TwoSum value %v, Neumaier %v, want NaN for both", xs, k.value(), s+c)
		}
	}
}

// TestKsumNonNeg holds ksum.addNonNeg to add bit for bit, step by step,
// over sums of terms that are never negative (zeros of both signs,
// subnormals, terms above the running sum and far below it, spanning
// 2^±300), where its fast branch is taken, and over signed terms, where
// it is not; past an overflow both give a NaN value.
func TestKsumNonNeg(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	nonNeg := []func(s float64) float64{
		func(float64) float64 { return rng.ExpFloat64() },
		func(float64) float64 { return math.Ldexp(rng.Float64(), rng.IntN(600)-300) },
		func(float64) float64 { return 0 },
		func(float64) float64 { return math.Copysign(0, -1) },
		func(float64) float64 { return math.Ldexp(float64(rng.IntN(9)), -1074) }, // subnormal
		func(s float64) float64 { return s * (1 + 0x1p-52) },                     // just above the sum
		func(s float64) float64 { return s },
		func(s float64) float64 { return math.Ldexp(s, -53) },
		func(float64) float64 { return float64(rng.IntN(7)) },
	}
	signed := append(nonNeg,
		func(s float64) float64 { return -s },
		func(float64) float64 { return rng.NormFloat64() * math.Ldexp(1, rng.IntN(120)-60) })
	for _, terms := range [][]func(float64) float64{nonNeg, signed} {
		for trial := range 300 {
			var a, b ksum
			for step := range 400 {
				x := terms[rng.IntN(len(terms))](a.s)
				a.add(x)
				b.addNonNeg(x)
				if math.Float64bits(a.s) != math.Float64bits(b.s) || math.Float64bits(a.c) != math.Float64bits(b.c) {
					t.Fatalf("trial %d step %d, term %v: add gives (%v, %v), addNonNeg (%v, %v)", trial, step, x, a.s, a.c, b.s, b.c)
				}
			}
		}
	}
	// Products passed as they are at the call sites (sq.addNonNeg(e*e)):
	// where the compiler fuses a multiply and an add (arm64, GOAMD64=v3)
	// the two sums would differ unless each rounds its term first.
	for trial := range 200 {
		var a, b ksum
		for range 1000 {
			e := rng.ExpFloat64()
			a.add(e * e)
			b.addNonNeg(e * e)
		}
		if math.Float64bits(a.value()) != math.Float64bits(b.value()) {
			t.Fatalf("trial %d: squares summed by add %v, by addNonNeg %v", trial, a.value(), b.value())
		}
	}
	for _, xs := range [][]float64{{math.MaxFloat64, math.MaxFloat64}, {math.MaxFloat64, math.MaxFloat64, 1, 0}, {1, math.Inf(1), 2}} {
		var a, b ksum
		for _, x := range xs {
			a.add(x)
			b.addNonNeg(x)
		}
		if !math.IsNaN(a.value()) || !math.IsNaN(b.value()) {
			t.Errorf("%v: add's value %v, addNonNeg's %v, want NaN for both", xs, a.value(), b.value())
		}
	}
}
