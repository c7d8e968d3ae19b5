package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// TestWriteBackTemplateIsWhatRuns checks the printed write-back of a run
// not made yet against the statements WriteTable runs for a real
// write-back of the same source and table: every statement is the same
// except where the run's values go (the pattern columns and the model
// columns), which are comments; the replacing variant differs only in
// how the staging table takes the table's name.
func TestWriteBackTemplateIsWhatRuns(t *testing.T) {
	so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
		HoldoutEnd: time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)}
	summary := []Column{{Name: "customer_id", Text: true, Expr: ColID}, {Name: "frequency", Expr: ColFrequency}}
	for _, d := range []Dialect{Postgres, ClickHouse} {
		t.Run(string(d), func(t *testing.T) {
			src := Spec{Dialect: d, Table: "sales", Customer: "c", Date: "d", Amount: "a", Summary: so, ExcludeAfterEnd: true}
			create, replace, err := WriteBackTemplate(src, "shop.scores", true, summary)
			if err != nil {
				t.Fatal(err)
			}
			real := WriteBack{Source: src, Table: "shop.scores",
				Patterns: PatternTable{Columns: []string{"pv_0", "pv_1"}, Values: [][]float64{nil, nil}},
				Output:   append(append([]Column(nil), summary...), Column{Name: "bgnbd_purchases", Expr: "pv_0"}, Column{Name: "bgnbd_p_alive", Expr: "pv_1"})}
			s, err := real.statements("<suffix>")
			if err != nil {
				t.Fatal(err)
			}
			want := s.list(d, false)
			if len(create) != len(want) {
				t.Fatalf("%d statements printed, %d run", len(create), len(want))
			}
			uncomment := func(sql string) string { // the template with the run's two columns put in
				number := map[Dialect]string{Postgres: "double precision", ClickHouse: "Float64"}[d]
				q := map[Dialect]string{Postgres: `"`, ClickHouse: "`"}[d]
				return strings.NewReplacer(
					"pv_0 "+number+", pv_1 "+number+" /* ...: one column per per-pattern value of the run */", "pv_0 "+number+", pv_1 "+number,
					"pv_0, pv_1 /* ... */", "pv_0, pv_1",
					"/* the model columns of predictions.csv: "+number+", text for tiers */", q+"bgnbd_purchases"+q+" "+number+", "+q+"bgnbd_p_alive"+q+" "+number,
					"/* the model columns of predictions.csv: each a pattern value pv_k, or the spend, revenue, CLV, net CLV and tier in SQL of wb_x, wb_m and pattern values with the fitted spend model's parameters */",
					"(pv_0) AS "+q+"bgnbd_purchases"+q+", (pv_1) AS "+q+"bgnbd_p_alive"+q,
				).Replace(sql)
			}
			for i, st := range create {
				if strings.Contains(st.SQL, templatePatternColumn) || strings.Contains(st.SQL, templateOutputColumn) {
					t.Errorf("statement %d keeps a stand-in name: %s", i, st.SQL)
				}
				if got := uncomment(st.SQL); got != want[i].SQL {
					t.Errorf("statement %d:\nprinted %s\nrun     %s", i, got, want[i].SQL)
				}
			}
			if !strings.Contains(create[len(create)-3].SQL+create[len(create)-2].SQL, "RENAME") {
				t.Errorf("no rename at the end: %+v", create)
			}
			same := 0
			for same < len(create) && create[same] == replace[same] {
				same++
			}
			for _, st := range replace[same:] {
				if !strings.Contains(st.SQL, "scores") && st.SQL != "COMMIT" {
					t.Errorf("replacing runs %q", st.SQL)
				}
			}
			if !strings.Contains(strings.Join(statementSQL(replace[same:]), ";"), "DROP TABLE") || same < len(create)-3 {
				t.Errorf("replacing: differs from statement %d on: %+v", same, replace[same:])
			}
		})
	}
}

func statementSQL(list []Statement) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.SQL
	}
	return out
}
