package experiments

import (
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// TestDelimiter checks data.delimiter: the names and characters it
// accepts, what it refuses, its canonical spelling (auto is left out, so
// configs without the key keep their hash: see TestHashPinned), and that
// the reader gets it.
func TestDelimiter(t *testing.T) {
	good := []struct {
		value string
		want  datasets.Delimiter
		canon string
	}{
		{"comma", datasets.DelimiterComma, "comma"}, {"SEMICOLON", datasets.DelimiterSemicolon, "semicolon"},
		{";", datasets.DelimiterSemicolon, "semicolon"}, {"tab", datasets.DelimiterTab, "tab"}, {"\t", datasets.DelimiterTab, "tab"},
		{"pipe", datasets.DelimiterPipe, "pipe"}, {"|", datasets.DelimiterPipe, "pipe"},
		{"whitespace", datasets.DelimiterWhitespace, "whitespace"}, {"auto", datasets.DelimiterAuto, ""},
	}
	for _, tc := range good {
		data := "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  amount: amount\n  delimiter: " + yamlQuote(tc.value)
		c, err := LoadWith(writeConfig(t, "d.yaml", configYAML(map[string]string{"data": data})), LoadOptions{Environ: []string{}})
		if err != nil {
			t.Errorf("delimiter %q: %v", tc.value, err)
			continue
		}
		if c.Resolved.Delimiter != tc.want || ReadOptions(c).Delimiter != tc.want {
			t.Errorf("delimiter %q resolves to %v (reader %v), want %v", tc.value, c.Resolved.Delimiter, ReadOptions(c).Delimiter, tc.want)
		}
		if j, _ := c.CanonicalJSON(); tc.canon == "" && strings.Contains(string(j), `"delimiter"`) ||
			tc.canon != "" && !strings.Contains(string(j), `"delimiter":"`+tc.canon+`"`) {
			t.Errorf("delimiter %q: canonical %s, want %q", tc.value, j, tc.canon)
		}
	}
	bad := []struct{ data, want string }{
		{"delimiter: ab", `data.delimiter "ab" is not a delimiter: use comma, semicolon, tab, pipe or whitespace`},
		{`delimiter: '#'`, `data.delimiter "#" is not a delimiter`},
		{"delimiter: ';'\n  format: parquet", "data.delimiter is set, but data.format is parquet"},
		{"delimiter: ';'\n  format: tsv", `data.delimiter ";" contradicts data.format tsv`},
	}
	for _, tc := range bad {
		data := "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  " + tc.data
		_, err := LoadWith(writeConfig(t, "d.yaml", configYAML(map[string]string{"data": data})), LoadOptions{Environ: []string{}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.data, err, tc.want)
		}
	}
	_, err := LoadWith(writeConfig(t, "d.yaml", configYAML(map[string]string{"data": "data: {embedded: quickstart, delimiter: ';'}"})), LoadOptions{Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), "data.delimiter \";\" is set, but embedded data has a fixed layout") {
		t.Errorf("embedded with a delimiter: %v", err)
	}
}

func yamlQuote(s string) string {
	return `"` + strings.ReplaceAll(s, "\t", `\t`) + `"`
}

// TestDelimiterRead reads a semicolon-separated log with data.delimiter:
// semicolon and format csv: every row is read as three fields.
func TestDelimiterRead(t *testing.T) {
	log := "customer_id;date;amount\na;2024-01-01;5\nb;2024-01-03;7\na;2024-02-10;3\nb;2024-03-31;2\n"
	data := "data:\n  path: log.csv\n  customer: customer_id\n  date: date\n  amount: amount\n  format: csv\n  delimiter: semicolon"
	cfg := dataConfig(t, log, data, splitBlock("2024-02-15", "2024-03-31"))
	dc, err := CheckData(cfg)
	if err != nil || dc.Customers != 2 || dc.Accounting.RowsUsed != 4 || dc.Inspection.Fields != 3 {
		t.Fatalf("semicolon log: %+v, %v", dc, err)
	}
}
