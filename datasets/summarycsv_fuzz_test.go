package datasets

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseSummaryCSV: the summary reader never panics, and every table it
// accepts holds finite, consistent rows.
func FuzzParseSummaryCSV(f *testing.F) {
	for _, seed := range []string{
		"customer_id,frequency,recency,T,monetary_value\n1,2,3.5,10,12.5\n2,0,0,4,0\n",
		"ID,x,t_x,T,zbar\r\n1,2,30.43,38.86,22.35\r\n",
		"frequency,recency,periods,weights\n0,0,6,3464\n1,1,6,1091\n",
		"\xef\xbb\xbfcustomer_id,frequency,recency,T,frequency_holdout,duration_holdout\n\"a,b\",1,2,3,4,39\n",
		"frequency,recency,T\n1,5,3\n",
		"frequency,recency,T\nNaN,1,2\n",
		"x,x,t_x,T\n",
		"",
		"cust,x,t.x,litt,sales,T.cal,T.star,x.star\n1,2,3,0.5,12,10,39,1\n",
		"customer_id,frequency_cal,recency_cal,T_cal,monetary_value_cal,frequency_holdout,monetary_value_holdout,duration_holdout\n1,2,3,4,5,6,7,8\n",
		"customer_id,frequency,recency,T\na,1.5,2,3\na,0,2,3\n",
		"customer_id,frequency,recency,T\ra,1,2,3\rb,0,0,3\r",
		string(encodeUTF16("customer_id,frequency,recency,T\r\na,1,2,3\r\n", false)),
		string(gzipped(f, []byte("customer_id,frequency,recency,T\na,1,2,3\n"))),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSummaryCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		for i, c := range s.Customers {
			for _, v := range []float64{c.Frequency, c.Recency, c.T, c.Monetary, c.Weight, c.FrequencyHoldout, c.DurationHoldout} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Fatalf("row %d holds %v", i, v)
				}
			}
			if c.Recency > c.T*(1+1e-12) {
				t.Fatalf("row %d: recency %v > T %v", i, c.Recency, c.T)
			}
			if c.Frequency != math.Trunc(c.Frequency) || c.FrequencyHoldout != math.Trunc(c.FrequencyHoldout) || (c.Frequency == 0 && c.Recency > 0) {
				t.Fatalf("row %d: impossible %+v", i, c)
			}
		}
		if s.Accounting.RowsRead != int64(len(s.Customers)) {
			t.Fatalf("accounting %+v for %d rows", s.Accounting, len(s.Customers))
		}
	})
}
