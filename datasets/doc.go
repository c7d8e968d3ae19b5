// Package datasets reads transaction logs (CSV, TSV, whitespace-separated
// text and Parquet), validates them with every row accounted for, and
// turns them into per-customer summaries split into calibration and
// holdout windows. It also simulates logs from known purchase processes
// and embeds the small default data set the quickstart runs on.
//
// The package knows nothing of models: it produces tables.
package datasets
