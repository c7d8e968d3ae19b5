package models

import "testing"

// readCDNOWSummary reads the CDNOW calibration summary of Fader, Hardie &
// Lee (2005) from the shared data (columns ID, frequency, recency, T;
// 2,357 customers, times in weeks) into model columns.
func readCDNOWSummary(t testing.TB) *Data {
	t.Helper()
	recs := bbReadSharedCSV(t, "cdnow_customers_summary.csv", []string{"ID", "frequency", "recency", "T"})
	d := &Data{}
	for _, r := range recs {
		d.Frequency = append(d.Frequency, r[1])
		d.Recency = append(d.Recency, r[2])
		d.T = append(d.T, r[3])
	}
	return d
}
