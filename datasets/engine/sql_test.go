package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

func TestQuoteIdentRefusesQuotes(t *testing.T) {
	for _, c := range []struct {
		d          Dialect
		name, want string
	}{
		{Postgres, "sales", `"sales"`},
		{Postgres, "shop.sales", `"shop"."sales"`},
		{ClickHouse, "shop.sales", "`shop`.`sales`"},
		{Postgres, `x"; DROP TABLE y; --`, ""},
		{ClickHouse, "x`y", ""},
		{Postgres, "a..b", ""},
	} {
		got, err := quoteIdent(c.d, c.name)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("quoteIdent(%s, %q) = %q, %v; want %q", c.d, c.name, got, err, c.want)
		}
	}
}

func TestSQLChecksTheSpec(t *testing.T) {
	so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)}
	ok := Spec{Dialect: Postgres, Table: "t", Customer: "c", Date: "d", Summary: so}
	if _, err := SQL(ok); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Spec){
		"no source":    func(s *Spec) { s.Table = "" },
		"two sources":  func(s *Spec) { s.Query = "SELECT 1" },
		"no customer":  func(s *Spec) { s.Customer = "" },
		"bad policy":   func(s *Spec) { s.OnBadRow = "ignore" },
		"no unit":      func(s *Spec) { s.Summary.Unit = datasets.Unit{} },
		"holdout <= c": func(s *Spec) { s.Summary.HoldoutEnd = s.Summary.CalibrationEnd },
		"bad dialect":  func(s *Spec) { s.Dialect = "mysql" },
	} {
		s := ok
		mutate(&s)
		if _, err := SQL(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	st, _ := SQL(ok)
	// Day 10134 is 1997-09-30; without a holdout, later rows are outside the window.
	if !strings.Contains(st.Customers, "dnum <= 10134") || !strings.Contains(st.Accounting, "r_day > 10134 THEN 'date_outside_window'") {
		t.Errorf("calibration end not day 10134:\n%s\n%s", st.Customers, st.Accounting)
	}
}
