package datasets_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// A log of three customers summarized in weeks, with calibration to the end
// of 2024-01-31 and a holdout to 2024-02-29.
func ExampleSummarize() {
	log := `customer_id,date,amount
0001,2024-01-01,10.00
0002,2024-01-03,5.00
0001,2024-01-01,2.50
0001,2024-01-15,20.00
0003,2024-02-10,7.00
0001,2024-02-20,9.00
`
	s, err := datasets.Summarize(strings.NewReader(log), "log.csv", datasets.ReadOptions{}, datasets.SummaryOptions{
		Unit:           datasets.Week,
		CalibrationEnd: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC),
		HoldoutEnd:     time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Customers {
		fmt.Printf("%s x=%g t_x=%g T=%.3g m=%g x*=%g\n", c.ID, c.Frequency, c.Recency, c.T, c.Monetary, c.FrequencyHoldout)
	}
	fmt.Println("late customers:", s.LateCustomers)
	fmt.Printf("rows: %d read = %d used + %d rejected\n", s.Accounting.RowsRead, s.Accounting.RowsUsed, s.Accounting.RowsRejected)
	// Output:
	// 0001 x=1 t_x=2 T=4.29 m=20 x*=1
	// 0002 x=0 t_x=0 T=4 m=0 x*=0
	// late customers: 1
	// rows: 6 read = 6 used + 0 rejected
}

// Under the skip policy bad rows are counted by reason instead of stopping
// the reading; under fail (the default) the first one is the error.
func ExampleSummarize_badRows() {
	log := "customer_id,date,amount\n1,2024-01-01,5\n2,2024-01-32,5\n3,2024-01-02,-1\n"
	so := datasets.SummaryOptions{Unit: datasets.Day, CalibrationEnd: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)}
	_, err := datasets.Summarize(strings.NewReader(log), "log.csv", datasets.ReadOptions{}, so)
	var bad *datasets.BadRowError
	if errors.As(err, &bad) {
		fmt.Println(bad.Line, bad.Column, bad.Reason)
		fmt.Println(err)
	}
	s, _ := datasets.Summarize(strings.NewReader(log), "log.csv", datasets.ReadOptions{OnBadRow: "skip"}, so)
	for _, r := range datasets.Reasons() {
		if n := s.Accounting.RejectedBy[r]; n > 0 {
			fmt.Println(r, n)
		}
	}
	// Output:
	// 3 date unparseable_date
	// log.csv:3: column 1 (date): cannot parse "2024-01-32" as a date with layout 2006-01-02: fix the row, change the date format, or skip bad rows
	// unparseable_date 1
	// negative_amount 1
}

// Compress merges customers with the same (frequency, recency, T) into
// weighted rows, for fitting purchase models.
func ExampleCompress() {
	s := &datasets.Summary{Unit: datasets.Week, Customers: []datasets.CustomerSummary{
		{ID: "a", Frequency: 0, Recency: 0, T: 10, Weight: 1},
		{ID: "b", Frequency: 2, Recency: 4, T: 10, Weight: 1},
		{ID: "c", Frequency: 0, Recency: 0, T: 10, Weight: 1},
	}}
	if err := datasets.WriteSummaryCSV(os.Stdout, datasets.Compress(s)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// customer_id,frequency,recency,T,weight
	// ,0,0,10,2
	// ,2,4,10,1
}

// ParseDateLayout turns date text into UTC calendar days since 1970-01-01.
func ExampleParseDateLayout() {
	parse, err := datasets.ParseDateLayout("rfc3339")
	if err != nil {
		fmt.Println(err)
		return
	}
	day, _ := parse("1970-01-02T23:30:00-01:00") // 1970-01-03T00:30Z
	fmt.Println(day)
	compact, _ := datasets.ParseDateLayout("20060102")
	_, err = compact("19971301")
	fmt.Println(err)
	// Output:
	// 2
	// cannot parse "19971301" as a date with layout 20060102
}
