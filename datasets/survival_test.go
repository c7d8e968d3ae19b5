package datasets

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReadSurvivalCSV reads the two cohorts of Fader & Hardie (2007), "How
// to project customer retention", J. Interactive Marketing 21(1): a plain
// file, and one with a byte-order mark, CRLF line endings, a comment, a
// blank line and spaces after the commas.
func TestReadSurvivalCSV(t *testing.T) {
	tests := []struct {
		file string
		want []float64
	}{
		{"survival_high_end.csv", []float64{1000, 869, 743, 653, 593, 551, 517, 491}},
		{"survival_regular.csv", []float64{1000, 631, 468, 382, 326, 289, 262, 241}},
	}
	for _, tt := range tests {
		got, err := ReadSurvivalCSV(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.file, got, tt.want)
		}
	}
	if _, err := ReadSurvivalCSV(filepath.Join("testdata", "no_such_file.csv")); err == nil || !strings.Contains(err.Error(), "no_such_file.csv") {
		t.Errorf("missing file: error %v, want one naming the file", err)
	}
}

// TestParseSurvivalCSVErrors checks that bad input is refused with an error
// naming the file, the line and, for a bad value, the column.
func TestParseSurvivalCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "s.csv: empty file"},
		{"no header", "0,1000\n1,900\n", "s.csv:1: the first row"},
		{"header of 3", "a,b,c\n0,1,2\n", "s.csv:1: the header has 3 columns"},
		{"row of 3", "period,n\n0,1000,5\n", "s.csv:2: 3 columns"},
		{"period skipped", "period,n\n0,1000\n2,900\n", "s.csv:3: column 0 (period): \"2\", want period 1"},
		{"period not a number", "period,n\n0,1000\none,900\n", "s.csv:3: column 0 (period)"},
		{"period fractional", "period,n\n0,1000\n1.0,900\n", "s.csv:3: column 0 (period)"},
		{"count not a number", "period,n\n0,1000\n1,abc\n", "s.csv:3: column 1 (n): \"abc\" is not a number"},
		{"negative count", "period,n\n0,1000\n1,-5\n", "s.csv:3: column 1 (n): \"-5\" must be a finite number ≥ 0"},
		{"NaN count", "period,n\n0,1000\n1,NaN\n", "s.csv:3: column 1 (n)"},
		{"Inf count", "period,n\n0,Inf\n1,5\n", "s.csv:2: column 1 (n)"},
		{"zero cohort", "period,n\n0,0\n1,0\n", "s.csv:2: column 1 (n): the cohort size"},
		{"rising", "period,n\n0,1000\n1,800\n2,850\n", "s.csv:4: column 1 (n): 850 customers at period 2 exceed the 800 of period 1"},
		{"one period", "period,n\n0,1000\n", "s.csv: 1 period(s)"},
		{"bad quote", "period,n\n0,\"1000\n", "s.csv:2: byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSurvivalCSV(strings.NewReader(tt.in), "s.csv")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestReadSubscriptionsCSV checks durations worked out by hand for 30-day
// periods (testdata/survival_subscriptions.csv):
//
//	customer  start       end         as of 2023-07-01                  as of the last date, 2023-12-31
//	c1        2023-01-01  2023-01-31  30 days: ⌈30/30⌉ = 1, churned     the same
//	c2        2023-01-01  2023-02-01  31 days: ⌈31/30⌉ = 2, churned     the same
//	c3        2023-01-15  –           167 days: ⌊167/30⌋+1 = 6, active  350 days: 12, active
//	c4        2023-03-01  2023-03-01  0 days: at least 1, churned       the same
//	c5        2023-05-02  2023-12-31  ends later: 60 days: 3, active    243 days: ⌈8.1⌉ = 9, churned
//	c6        2023-07-01  –           0 days: 1, active                 183 days: 7, active
func TestReadSubscriptionsCSV(t *testing.T) {
	path := filepath.Join("testdata", "survival_subscriptions.csv")
	ids := []string{"c1", "c2", "c3", "c4", "c5", "c6"}
	tests := []struct {
		asOf      time.Time
		wantAsOf  time.Time
		durations []float64
		active    []bool
	}{
		{
			asOf:      time.Date(2023, 7, 1, 15, 30, 0, 0, time.UTC),
			wantAsOf:  time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC),
			durations: []float64{1, 2, 6, 1, 3, 1},
			active:    []bool{false, false, true, false, true, true},
		},
		{
			wantAsOf:  time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC),
			durations: []float64{1, 2, 12, 1, 9, 7},
			active:    []bool{false, false, true, false, false, true},
		},
	}
	for _, tt := range tests {
		s, err := ReadSubscriptionsCSV(path, 30, tt.asOf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.IDs, ids) || !reflect.DeepEqual(s.Durations, tt.durations) || !reflect.DeepEqual(s.Active, tt.active) {
			t.Errorf("as of %v: ids %v durations %v active %v, want %v %v %v", tt.asOf, s.IDs, s.Durations, s.Active, ids, tt.durations, tt.active)
		}
		if !s.AsOf.Equal(tt.wantAsOf) || s.PeriodDays != 30 {
			t.Errorf("as of %v: AsOf %v PeriodDays %v, want %v 30", tt.asOf, s.AsOf, s.PeriodDays, tt.wantAsOf)
		}
	}
}

// TestSubscriptionsLongSpan checks a span longer than time.Duration holds
// (292 years): 0001-01-01 to 2023-07-01 is 738,701 days, ⌊738701/365.2425⌋
// + 1 = 2023 periods of a mean Gregorian year.
func TestSubscriptionsLongSpan(t *testing.T) {
	s, err := ParseSubscriptionsCSV(strings.NewReader("customer,start,end\nc1,0001-01-01,\n"), "u.csv", 365.2425, time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if s.Durations[0] != 2023 || !s.Active[0] {
		t.Errorf("duration %v active %v, want 2023 true", s.Durations[0], s.Active[0])
	}
}

func TestParseSubscriptionsCSVErrors(t *testing.T) {
	asOf := time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		period   float64
		want     string
	}{
		{"empty", "", 30, "u.csv: empty file"},
		{"no rows", "customer,start,end\n", 30, "u.csv: no subscriptions"},
		{"no header", "c1,2023-01-01,\n", 30, "u.csv:1: the first row is not a header"},
		{"header of 2", "customer,start\n", 30, "u.csv:1: the header has 2 columns"},
		{"row of 2", "customer,start,end\nc1,2023-01-01\n", 30, "u.csv:2: 2 columns"},
		{"empty id", "customer,start,end\n,2023-01-01,\n", 30, "u.csv:2: column 0 (customer)"},
		{"duplicate", "customer,start,end\nc1,2023-01-01,\nc1,2023-02-01,\n", 30, "u.csv:3: column 0 (customer): customer \"c1\" already has a subscription on line 2"},
		{"bad start", "customer,start,end\nc1,01/02/2023,\n", 30, "u.csv:2: column 1 (start): \"01/02/2023\" is not a date"},
		{"bad end", "customer,start,end\nc1,2023-01-01,soon\n", 30, "u.csv:2: column 2 (end)"},
		{"end before start", "customer,start,end\nc1,2023-02-01,2023-01-01\n", 30, "u.csv:2: column 2 (end): the end 2023-01-01 precedes the start 2023-02-01"},
		{"start after as-of", "customer,start,end\nc1,2023-08-01,\n", 30, "u.csv:2: column 1 (start): the start 2023-08-01 falls after the as-of date 2023-07-01"},
		{"zero period", "customer,start,end\nc1,2023-01-01,\n", 0, "period length 0"},
		{"NaN period", "customer,start,end\nc1,2023-01-01,\n", math.NaN(), "period length NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSubscriptionsCSV(strings.NewReader(tt.in), "u.csv", tt.period, asOf)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseSurvivalCSV(f *testing.F) {
	for _, s := range []string{
		"period,survivors\n0,1000\n1,869\n2,743\n",
		"\ufeffyear, n\r\n# c\r\n0, 10\r\n1, 10\r\n",
		"period,n\n0,1000\n1,850\n2,900\n",
		"p,n\n0,\"1e3\"\n1,5e2\n",
		"",
		"period,survivors\r0,1000\r1,869\r",
		string(encodeUTF16("period,survivors\r\n0,1000\r\n1,869\r\n", true)),
		string(gzipped(f, []byte("period,survivors\n0,1000\n1,869\n"))),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := ParseSurvivalCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if len(out) < 2 || !(out[0] > 0) {
			t.Fatalf("accepted %v: want at least 2 periods and a cohort > 0", out)
		}
		for i, v := range out {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || (i > 0 && v > out[i-1]) {
				t.Fatalf("accepted %v: counts must be finite, ≥ 0 and non-increasing", out)
			}
		}
	})
}

func FuzzParseSubscriptionsCSV(f *testing.F) {
	for _, s := range []string{
		"customer,start,end\nc1,2023-01-01,2023-01-31\nc2,2023-01-15,\n",
		"customer,start,end\nc1,20230101,20230301\n",
		"customer,start,end\nc1,2023-02-01,2023-01-01\n",
	} {
		f.Add(s, 30.0)
	}
	asOf := time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string, period float64) {
		s, err := ParseSubscriptionsCSV(strings.NewReader(in), "fuzz.csv", period, asOf)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if len(s.IDs) == 0 || len(s.Durations) != len(s.IDs) || len(s.Active) != len(s.IDs) {
			t.Fatalf("accepted %d ids, %d durations, %d flags", len(s.IDs), len(s.Durations), len(s.Active))
		}
		for _, d := range s.Durations {
			if !(d >= 1) || d != math.Trunc(d) {
				t.Fatalf("duration %v is not a whole number ≥ 1", d)
			}
		}
	})
}

func ExampleParseSurvivalCSV() {
	in := "year,active\n0,1000\n1,631\n2,468\n3,382\n"
	survivors, err := ParseSurvivalCSV(strings.NewReader(in), "regular.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	for t := 1; t < len(survivors); t++ {
		fmt.Printf("year %d: %.0f active, retention %.3f\n", t, survivors[t], survivors[t]/survivors[t-1])
	}
	// Output:
	// year 1: 631 active, retention 0.631
	// year 2: 468 active, retention 0.742
	// year 3: 382 active, retention 0.816
}
