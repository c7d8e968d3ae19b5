package experiments

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// dataConfig writes a log (header + rows) beside a config whose data and
// split blocks are given, and loads it.
func dataConfig(t *testing.T, log, data, split string) *Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "log.csv"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	text := configYAML(map[string]string{"data": data, "split": split, "expect": ""})
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWith(p, LoadOptions{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// quarterLog is a log of purchases from 2024-01-01 to its last
// transaction on 2024-03-31.
const quarterLog = "customer_id,date,amount\na,2024-01-01,5\nb,2024-01-03,7\na,2024-02-10,3\nc,2024-02-11,4\nb,2024-03-31,2\n"

const quarterData = "data:\n  path: log.csv\n  customer: customer_id\n  date: date\n  amount: amount"

func splitBlock(cal, hold string) string {
	return fmt.Sprintf("split:\n  unit: week\n  calibration_end: %s\n  holdout_end: %s", cal, hold)
}

// TestSplitAgainstData checks the windows against the last transaction
// date, through CheckSplitAgainstData, CheckData (clv validate) and Run.
func TestSplitAgainstData(t *testing.T) {
	for _, tc := range []struct {
		cal, hold, key, want string
	}{
		{"2024-02-15", "2024-03-31", "", ""},
		{"2024-02-15", "2024-05-31", "split.holdout_end", "split.holdout_end 2024-05-31 is after the last transaction date 2024-03-31 of the data: its last 61 day(s) have no data"},
		{"2024-03-31", "2024-06-30", "split.calibration_end", "split.calibration_end 2024-03-31 is not before the last transaction date 2024-03-31"},
		{"2024-04-30", "2024-06-30", "split.calibration_end", "set split.calibration_end before 2024-03-31"},
	} {
		cfg := dataConfig(t, quarterLog, quarterData, splitBlock(tc.cal, tc.hold))
		last := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)
		errs := map[string]error{"CheckSplitAgainstData": CheckSplitAgainstData(cfg, last)}
		dc, err := CheckData(cfg)
		errs["CheckData"] = err
		if err == nil && !dc.LastDate.Equal(last) {
			t.Errorf("%s..%s: CheckData last date %v, want %v", tc.cal, tc.hold, dc.LastDate, last)
		}
		_, errs["Run"] = Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
		for via, err := range errs {
			var se *SplitError
			var de *DataError
			switch {
			case tc.key == "" && errors.As(err, &se):
				t.Errorf("%s..%s via %s: %v, want no split error", tc.cal, tc.hold, via, err)
			case tc.key == "":
			case !errors.As(err, &de) || !errors.As(err, &se) || se.Key != tc.key || !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s..%s via %s: %v, want a DataError about %s containing %q", tc.cal, tc.hold, via, err, tc.key, tc.want)
			case !se.LastDate.Equal(last):
				t.Errorf("%s..%s via %s: last date %v", tc.cal, tc.hold, via, se.LastDate)
			}
		}
	}
}

// TestCheckDataColumns checks that every column the config names and the
// data lacks is reported at once, with 0-based indices.
func TestCheckDataColumns(t *testing.T) {
	log := "cust,day,price\na,2024-01-01,5\nb,2024-03-31,2\n"
	cfg := dataConfig(t, log, quarterData, splitBlock("2024-02-15", "2024-03-31"))
	_, err := CheckData(cfg)
	var de *DataError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DataError", err)
	}
	for _, want := range []string{
		`data.customer "customer_id" is not a column of log.csv; its columns are (0-based): 0 "cust", 1 "day", 2 "price"`,
		`data.date "date" is not a column`, `data.amount "amount" is not a column`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got\n%v\nwant it to contain %q", err, want)
		}
	}
	cfg = dataConfig(t, "a,2024-01-01,5\nb,2024-03-31,2\n", "data:\n  path: log.csv\n  customer: 0\n  date: 1\n  amount: 3\n  header: no", splitBlock("2024-02-15", "2024-03-31"))
	_, err = CheckData(cfg)
	if err == nil || !strings.Contains(err.Error(), "data.amount 3 is out of range: the rows of log.csv have 3 fields (0-based indices 0 to 2)") {
		t.Errorf("index out of range: %v", err)
	}
}

// TestCheckDataDates checks that dates that do not parse with the
// configured format are reported: the first bad row under fail, the share
// of bad rows under skip.
func TestCheckDataDates(t *testing.T) {
	log := "customer_id,date,amount\na,01/02/2024,5\nb,03/02/2024,7\nb,31/03/2024,2\n"
	cfg := dataConfig(t, log, quarterData, splitBlock("2024-02-15", "2024-03-31"))
	_, err := CheckData(cfg)
	var be *datasets.BadRowError
	if !errors.As(err, &be) || be.Line != 2 || be.Reason != datasets.ReasonBadDate {
		t.Errorf("fail policy: %v, want the bad date of line 2", err)
	}
	cfg = dataConfig(t, log, quarterData+"\n  on_bad_row: skip", splitBlock("2024-02-15", "2024-03-31"))
	_, err = CheckData(cfg)
	if err == nil || !strings.Contains(err.Error(), `3 of 3 rows have a date that does not parse with data.date_format "iso"`) {
		t.Errorf("skip policy: %v", err)
	}
	cfg = dataConfig(t, log, quarterData+"\n  date_format: 02/01/2006", splitBlock("2024-02-15", "2024-03-31"))
	if dc, err := CheckData(cfg); err != nil || dc.Customers != 2 || dc.Accounting.RowsRead != 3 {
		t.Errorf("right layout: %+v, %v", dc, err)
	}
}

// TestCheckDataShipped checks the shipped transaction-log configs against
// their data.
func TestCheckDataShipped(t *testing.T) {
	for _, f := range []string{"quickstart.yaml", "cdnow.yaml", "rolling.yaml"} {
		cfg, err := LoadWith(filepath.Join("..", "configs", f), LoadOptions{Environ: []string{}})
		if err != nil {
			t.Skipf("%s: %v", f, err) // the shared data may be absent
		}
		if _, err := CheckData(cfg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
