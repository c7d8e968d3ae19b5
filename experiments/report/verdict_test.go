package report

import (
	"os"
	"strings"
	"testing"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// TestVerdictSection checks that the verdict leads the report (HTML and
// Markdown) with the best model, the indistinguishable ones, the large
// bias marked next to the scores, the notes on the metric and on AIC/BIC,
// the weak identification warning and the interval table with the
// heuristics' lack of intervals.
func TestVerdictSection(t *testing.T) {
	holdout := func(bias float64) *experiments.Scores {
		return &experiments.Scores{Customers: 10, Bias: experiments.Metric(bias), MAE: 1, RMSE: 1}
	}
	mf := &experiments.MetricsFile{Name: "v", Unit: "week", SegmentTarget: experiments.TargetPurchases,
		Models: map[string]*experiments.ModelReport{
			"bgnbd":     {Fit: &models.FitResult{Model: "bgnbd", HasLikelihood: true, Converged: true}, Holdout: holdout(0.01)},
			"paretonbd": {Fit: &models.FitResult{Model: "paretonbd", HasLikelihood: true, Converged: true, WeaklyIdentified: true}, Holdout: holdout(-0.2)},
			"average":   {Fit: &models.FitResult{Model: "average"}, Holdout: holdout(-0.9)},
		},
		Verdict: &experiments.VerdictReport{Metric: experiments.VerdictSquaredError,
			Targets: map[string]*experiments.TargetVerdict{experiments.TargetPurchases: {
				Verdict: &experiments.Verdict{Metric: experiments.VerdictSquaredError, Best: "bgnbd", BestLoss: 1.5, Level: 0.95, Resamples: 1000, Customers: 10,
					Others: []experiments.VerdictComparison{{Model: "paretonbd", Difference: 0.01, Lower: -0.02, Upper: 0.04, Indistinguishable: true},
						{Model: "average", Difference: 2, Lower: 1.5, Upper: 2.5}}},
				LargeBias: []string{"average"}}},
			Likelihood:       &experiments.LikelihoodComparison{Data: "the same 10 customers", Models: []string{"bgnbd", "paretonbd"}, BestAIC: "bgnbd", BestBIC: "bgnbd"},
			WeaklyIdentified: []string{"paretonbd"}},
		Intervals: &experiments.IntervalsReport{Levels: []float64{0.8}, Draws: 20,
			Models:  map[string]*experiments.ModelIntervals{"bgnbd": {Scores: map[string]experiments.IntervalScores{"interval_80": {Level: 0.8, Coverage: 0.79, WithinBounds: 0.93, TotalCovered: 1, TotalLower: 9, TotalUpper: 12, ActualTotal: 10}}}},
			Without: map[string]string{"average": "a heuristic: no predictive distribution, so no intervals"}},
	}
	dir := t.TempDir()
	if _, err := write(dir, mf, nil); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{MarkdownFile, HTMLFile} {
		b, err := os.ReadFile(dir + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, want := range []string{"Verdict", "Which model wins on", "Best: BG/NBD", "Indistinguishable from it: Pareto/NBD",
			"bias beyond ±50%", "MAE is minimized by the median", "AIC and BIC compare only models fitted by maximum likelihood",
			"weakly identified", "Prediction intervals of holdout purchases", "randomized probability integral transform",
			"no intervals: a heuristic", "[9, 12]"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
		d := max(strings.Index(text, "<h2>Data and split"), strings.Index(text, "## Data and split"))
		if v := strings.Index(text, "Which model wins"); v < 0 || d < v {
			t.Errorf("%s: the verdict is not at the top", file)
		}
	}
}
