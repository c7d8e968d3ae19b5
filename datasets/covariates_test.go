package datasets

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var covariateTestColumns = CovariateOptions{Customer: "id", Columns: []CovariateColumn{
	{Name: "channel", Categorical: true},
	{Name: "age"},
}}

// TestCovariatesCoding reads a table with a byte-order mark and
// semicolons and checks the dummy coding against the reference level
// (the most frequent, web, unless stated) and the numeric column as given.
func TestCovariatesCoding(t *testing.T) {
	text := "\ufeffid;channel;age;other\n1;web;30;x\n2;store;41.5;y\n3;web;25;z\n4;phone;50;w\n"
	tab, err := ParseCovariatesCSV(strings.NewReader(text), "cov.csv", covariateTestColumns)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"channel=phone", "channel=store", "age"}; !slices.Equal(tab.Coded, want) {
		t.Fatalf("coded columns %v, want %v", tab.Coded, want)
	}
	if tab.Reference["channel"] != "web" || !tab.ReferenceFromData["channel"] {
		t.Errorf("reference %q (from data %v), want web, the most frequent", tab.Reference["channel"], tab.ReferenceFromData["channel"])
	}
	for id, want := range map[string][]float64{"1": {0, 0, 30}, "2": {0, 1, 41.5}, "4": {1, 0, 50}} {
		if got, ok := tab.Row(id); !ok || !slices.Equal(got, want) {
			t.Errorf("customer %s: %v, want %v", id, got, want)
		}
	}
	if _, ok := tab.Row("5"); ok {
		t.Error("customer 5 found")
	}
	o := covariateTestColumns
	o.Columns = []CovariateColumn{{Name: "channel", Categorical: true, Reference: "store"}}
	tab, err = ParseCovariatesCSV(strings.NewReader(text), "cov.csv", o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"channel=phone", "channel=web"}; !slices.Equal(tab.Coded, want) || tab.ReferenceFromData["channel"] {
		t.Errorf("with reference store: coded %v, want %v", tab.Coded, want)
	}
}

// TestCovariatesErrors checks that each problem names the file, line and
// column, and says what to do.
func TestCovariatesErrors(t *testing.T) {
	fixed := CovariateOptions{Customer: "id", Columns: []CovariateColumn{{Name: "channel", Categorical: true, Levels: []string{"store", "web"}, Reference: "web"}}}
	for _, tc := range []struct {
		name, text string
		o          CovariateOptions
		want       string
	}{
		{"bad number", "id,channel,age\n1,web,30\n2,store,abc\n", covariateTestColumns, `cov.csv:3: column 2 (age): "abc" is not a finite number`},
		{"infinite", "id,channel,age\n1,web,Inf\n2,store,1\n", covariateTestColumns, "cov.csv:2: column 2 (age)"},
		{"empty value", "id,channel,age\n1,,30\n", covariateTestColumns, "cov.csv:2: column 1 (channel): empty value for customer \"1\""},
		{"missing column", "id,channel\n1,web\n", covariateTestColumns, `cov.csv:1: no covariate column "age"`},
		{"missing id", "cust,channel,age\n1,web,3\n", covariateTestColumns, `cov.csv:1: no customer id column "id"`},
		{"duplicate", "id,channel,age\n1,web,3\n2,store,4\n1,web,5\n", covariateTestColumns, "cov.csv:4: column 0 (id): customer \"1\" already has a row on line 2"},
		{"one level", "id,channel,age\n1,web,3\n2,web,4\n", covariateTestColumns, "has the one level"},
		{"bad reference", "id,channel\n1,web\n2,store\n", CovariateOptions{Customer: "id", Columns: []CovariateColumn{{Name: "channel", Categorical: true, Reference: "shop"}}}, `reference level "shop" is not a value`},
		{"new level", "id,channel\n1,web\n2,phone\n", fixed, `cov.csv:3: column 1 (channel): level "phone" was not among the levels store, web`},
		{"no rows", "id,channel,age\n", covariateTestColumns, "no customers"},
		{"empty", "", covariateTestColumns, "empty file"},
	} {
		_, err := ParseCovariatesCSV(strings.NewReader(tc.text), "cov.csv", tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
		var ce *CovariateError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *CovariateError", tc.name, err)
		}
	}
}

// FuzzParseCovariatesCSV checks that no input makes the reader panic and
// that a table it accepts has a row of the coded width for every customer.
func FuzzParseCovariatesCSV(f *testing.F) {
	f.Add("id,channel,age\n1,web,30\n2,store,41\n")
	f.Add("\ufeffid;channel;age\n1;web;1e3\n2;\"st;ore\";-2\n")
	f.Fuzz(func(t *testing.T, text string) {
		tab, err := ParseCovariatesCSV(strings.NewReader(text), "fuzz.csv", covariateTestColumns)
		if err != nil {
			return
		}
		for id := range tab.rows {
			if row, ok := tab.Row(id); !ok || len(row) != len(tab.Coded) {
				t.Fatalf("customer %q: row %v for %d coded columns", id, row, len(tab.Coded))
			}
		}
	})
}
