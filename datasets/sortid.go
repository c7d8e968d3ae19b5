package datasets

// SortByID puts summary rows in the order the file reader returns them:
// by integer value when every id is an unsigned integer of up to 18
// digits (ties broken by the text), else by text. A summary computed
// elsewhere (in a database) is sorted with it to compare row for row.
func SortByID(rows []CustomerSummary) {
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	order := idOrder(ids)
	sorted := make([]CustomerSummary, len(rows))
	for j, i := range order {
		sorted[j] = rows[i]
	}
	copy(rows, sorted)
}
