package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSpreadsheetSafe(t *testing.T) {
	tests := map[string]string{
		"c1":                      "c1",
		"":                        "",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+cmd|' /C calc'!A0":      "'+cmd|' /C calc'!A0",
		"-2+3":                    "'-2+3",
		"@SUM(A1)":                "'@SUM(A1)",
		"\t=1":                    "'\t=1",
		"-5":                      "-5",
		"+3.5":                    "+3.5",
		"a=b":                     "a=b",
		"-Inf":                    "'-Inf",
		"-1e3":                    "-1e3",
	}
	for in, want := range tests {
		if got := SpreadsheetSafe(in); got != want {
			t.Errorf("SpreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// The summary CSV neutralises formula-like ids.
func TestSummaryCSVNeutralisesIDs(t *testing.T) {
	s := &Summary{Customers: []CustomerSummary{{ID: "=1+1"}, {ID: "@x"}, {ID: "-7"}}}
	var b bytes.Buffer
	if err := WriteSummaryCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for i, want := range []string{"'=1+1,", "'@x,", "-7,"} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("row %d is %q, want it to start %q", i+1, lines[i+1], want)
		}
	}
}

// The rejects file neutralises the text of a bad field.
func TestRejectsNeutraliseFormulas(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	log := "customer_id,date,amount\na,2024-01-01,=1+1\na,2024-01-02,3\n"
	unit, _ := ParseUnit("week")
	_, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{OnBadRow: "skip", RejectsPath: rejects},
		SummaryOptions{Unit: unit, CalibrationEnd: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ",'=1+1\n") {
		t.Errorf("rejects file:\n%s\nwant the bad field neutralised", b)
	}
}
