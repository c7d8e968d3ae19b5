package experiments

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

// donationsLog writes an annual transaction log rebuilt from the donations
// summary of Fader, Hardie & Shang (2010): every donor of the 1995 cohort
// gives on 1995-01-01, then x times in 1996–2001 with the last gift in
// year 1995 + t_x; donors who gave in 2001 give once more in 2002, and
// those who gave every year once more in 2006 (a holdout to score; the
// log's last date, 2006-01-01, stands for the year 2006). It returns the log's path and the holdout donations.
func donationsLog(t *testing.T, dir string) (string, float64) {
	t.Helper()
	f, err := os.Open(sharedtest.Path(t, "datasets", "donations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	b.WriteString("donor,date\n")
	sc := bufio.NewScanner(f)
	sc.Scan() // frequency,recency,periods,weights
	id, holdout := 0, 0.0
	for sc.Scan() {
		var v [4]int
		for i, s := range strings.Split(sc.Text(), ",") {
			if v[i], err = strconv.Atoi(s); err != nil {
				t.Fatalf("donations.csv %q: %v", sc.Text(), err)
			}
		}
		x, tx, n, w := v[0], v[1], v[2], v[3]
		if n != 6 {
			t.Fatalf("donations.csv: %d periods, want 6", n)
		}
		for range w {
			id++
			fmt.Fprintf(&b, "d%d,1995-01-01\n", id)
			for k := 0; k < x; k++ {
				year := 1995 + tx - k // the last gift in 1995+t_x, the others the years before
				fmt.Fprintf(&b, "d%d,%d-01-01\n", id, year)
			}
			if tx == 6 {
				fmt.Fprintf(&b, "d%d,2002-01-01\n", id)
				holdout++
			}
			if x == 6 {
				fmt.Fprintf(&b, "d%d,2006-01-01\n", id)
				holdout++
			}
		}
	}
	path := filepath.Join(dir, "donations_log.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, holdout
}

// TestRunBGBBDonations runs BG/BB as an experiment on an annual log (each
// calendar year one opportunity) and checks the fit against the published
// estimates and the cohort's expected donations in 2002–2006 (Fader, Hardie
// & Shang 2010, from ../shared/reference/published.json).
func TestRunBGBBDonations(t *testing.T) {
	var pub struct {
		Donations struct {
			BGBB struct {
				Params        map[string]float64 `json:"params"`
				LogLikelihood float64            `json:"log_likelihood"`
			} `json:"bgbb"`
			Holdout struct {
				Value float64 `json:"value"`
			} `json:"holdout_expected_total_5_years"`
		} `json:"donations"`
	}
	raw, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &pub); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath, holdout := donationsLog(t, dir)
	yaml := `name: donations
data: {path: ` + logPath + `, customer: donor, date: date, amount: none}
split: {unit: year, calibration_end: 2001-12-31, holdout_end: 2006-12-31}
models: [bgbb]
output: {plots: false, report: false}
expect:
  - {metric: bgbb.holdout.bias, min: -10, max: 10}
`
	out := runConfigIn(t, dir, yaml)
	if err := out.Err(); err != nil {
		t.Fatal(err)
	}
	mf := out.Metrics.(*MetricsFile)
	rep := mf.Models["bgbb"]
	if rep == nil || rep.Holdout == nil {
		t.Fatalf("bgbb has no holdout scores: %+v", rep)
	}
	want := pub.Donations.BGBB
	for name, v := range want.Params {
		// The paper prints three or four significant digits.
		if got := rep.Fit.Params[name]; math.Abs(got-v) > 6e-4*max(1, v) {
			t.Errorf("%s = %.5f, published %.4g", name, got, v)
		}
	}
	if got := rep.Fit.LogLikelihood; math.Abs(got-want.LogLikelihood) > 0.05 {
		t.Errorf("log-likelihood %.4f, published %.1f", got, want.LogLikelihood)
	}
	if got, w := float64(rep.Holdout.PredictedTotal), pub.Donations.Holdout.Value; math.Abs(got-w) > 0.5 {
		t.Errorf("expected donations 2002–2006: %.2f, published %.1f", got, w)
	}
	if got := float64(rep.Holdout.ActualTotal); got != holdout {
		t.Errorf("holdout actual %v, want %v", got, holdout)
	}
	if mf.Data.CalibrationCustomers != 11104 {
		t.Errorf("%d donors, want 11104", mf.Data.CalibrationCustomers)
	}
}
