// Package experiments runs clv experiments end to end: config schema and
// validation, the runner, backtests, metrics, segments and lift, gates,
// manifests.
//
// The scoring half of the package is made of pure functions over one slice
// of predictions and one slice of holdout actuals per customer:
//
//   - Score computes the accuracy and ranking metrics of metrics.json
//     (Scores), with undefined quantities held as NaN in a Metric, which
//     marshals as JSON null;
//   - Segments splits customers into groups by predicted value and reports
//     each group's share of the actual total and its lift;
//   - CheckGates compares metrics named by a dotted path
//     (model.target.metric, e.g. bgnbd.holdout.mae) with the bounds of a
//     config's expect list;
//   - CompareTable and WriteComparison lay out models × metrics across runs
//     for clv compare, marking the best value per target and metric.
//
// Customers are ranked by prediction, highest first, with ties broken by
// customer id (see PredictionOrder), so every ranking metric is
// deterministic: the same inputs give the same bytes.
package experiments
