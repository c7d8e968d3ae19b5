package experiments

import (
	"strings"
	"testing"
)

// TestDelimiter checks data.delimiter: the names and single characters it
// accepts, what it refuses, its canonical spelling, and that configs
// without it keep their hash (see TestHashPinned).
func TestDelimiter(t *testing.T) {
	good := []struct {
		value string
		want  rune
		canon string
	}{
		{"comma", ',', "comma"}, {"SEMICOLON", ';', "semicolon"}, {";", ';', "semicolon"}, {"tab", '\t', "tab"},
		{"\t", '\t', "tab"}, {"pipe", '|', "pipe"}, {"|", '|', "pipe"}, {"whitespace", ' ', "whitespace"}, {"#", '#', "#"},
	}
	for _, tc := range good {
		data := "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  amount: amount\n  delimiter: " + yamlQuote(tc.value)
		c, err := LoadWith(writeConfig(t, "d.yaml", configYAML(map[string]string{"data": data})), LoadOptions{Environ: []string{}})
		if err != nil {
			t.Errorf("delimiter %q: %v", tc.value, err)
			continue
		}
		if c.Resolved.Delimiter != tc.want {
			t.Errorf("delimiter %q resolves to %q, want %q", tc.value, c.Resolved.Delimiter, tc.want)
		}
		if j, _ := c.CanonicalJSON(); !strings.Contains(string(j), `"delimiter":"`+tc.canon+`"`) {
			t.Errorf("delimiter %q: canonical %s, want %q", tc.value, j, tc.canon)
		}
	}
	bad := []struct{ data, want string }{
		{"delimiter: ab", `data.delimiter "ab" is neither one character nor one of comma, semicolon, tab, pipe, whitespace`},
		{`delimiter: '"'`, "cannot separate fields"},
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
