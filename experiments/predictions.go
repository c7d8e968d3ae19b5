package experiments

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/clv-dev/clv/datasets"
)

// writePredictions writes predictions.csv: one row per customer with the
// summary columns, the holdout actuals and every model's predictions
// (holdout purchases, P(alive) and, with a spend model, holdout revenue and
// CLV). Ids are neutralised for spreadsheets (datasets.SpreadsheetSafe).
// Numbers are written in the shortest form that reads back to the
// same float64, so the file holds exactly what was scored.
func writePredictions(rd *resultsDir, cfg *Config, wr *windowResult) error {
	return rd.writeFile("predictions.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		header := []string{"customer_id", "frequency", "recency", "T", "monetary_value",
			"frequency_holdout", "monetary_value_holdout", "duration_holdout", "revenue_holdout"}
		var names []string
		for _, name := range cfg.Models {
			p, ok := wr.preds[name]
			if !ok {
				continue
			}
			names = append(names, name)
			header = append(header, name+"_purchases", name+"_p_alive")
			if p.Revenue != nil {
				header = append(header, name+"_revenue", name+"_clv")
			}
		}
		if err := cw.Write(header); err != nil {
			return err
		}
		row := make([]string, 0, len(header))
		for i, c := range wr.summary.Customers {
			row = append(row[:0], datasets.SpreadsheetSafe(c.ID), num(c.Frequency), num(c.Recency), num(c.T), num(c.Monetary),
				num(c.FrequencyHoldout), num(c.MonetaryHoldout), num(c.DurationHoldout), num(c.FrequencyHoldout*c.MonetaryHoldout))
			for _, name := range names {
				p := wr.preds[name]
				row = append(row, num(p.Purchases[i]), num(p.PAlive[i]))
				if p.Revenue != nil {
					row = append(row, num(p.Revenue[i]), num(p.CLV[i]))
				}
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
