#!/bin/sh
# bench100m.sh CLV CLUSTER_DIR TABLE CSV OUT [MODE...] — the benchmark of
# issue 13: the same backtest (weeks, calibration to 2024-12-31, holdout
# to 2025-06-29, the default models, no plots or report) run by the clv
# binary CLV from the ClickHouse table TABLE of the cluster chcluster.sh
# started in CLUSTER_DIR and from the CSV log, one after the other, without
# prediction intervals (intervals.levels: []: per customer, they would cost
# more than the rest of a 10M-customer run and are the same on both sides).
# MODEs (default: all four):
#   engine-customers  default outputs (predictions.csv, spend model): one row per customer
#   file-customers    the same config from the CSV file
#   engine-patterns   output.predictions none, spend_model none: the pattern table
#   file-patterns     the same config from the CSV file
#   engine-spend      output.predictions none with the spend model: one row per customer
#   file-spend        the same config from the CSV file
# BENCH_MODELS, when set, is the models list (e.g. "[bgnbd, paretonbd]");
# by default the config's default six.
# For each it prints the wall time, clv's CPU seconds and peak memory
# (/usr/bin/time -v), the ClickHouse servers' CPU seconds (from /proc) and
# the manifest's engine facts (what was fetched, bytes received).
set -eu
clv=${1:?usage: bench100m.sh CLV CLUSTER_DIR TABLE CSV OUT [MODE...]}
cluster=$2 table=$3 csv=$4 out=$5
shift 5
modes=${*:-engine-customers file-customers engine-patterns file-patterns}
mkdir -p "$out"
ticks=$(getconf CLK_TCK)
server_cpu() { # the servers' user+sys seconds so far
	t=0
	for i in 0 1; do
		pid=$(cat "$cluster/s$i/pid")
		t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
	done
	echo "$t"
}
for mode in $modes; do
	case $mode in
	engine-*) data="  engine: clickhouse
  dsn_env: BENCH_CH_DSN
  table: $table
  customer: customer_id
  date: date
  amount: amount" ;;
	file-*) data="  path: $csv
  customer: customer_id
  date: date
  amount: amount" ;;
	esac
	extra=""
	case $mode in
	*-patterns) extra="spend_model: none" pred="none" ;;
	*-spend) pred="none" ;;
	*) pred="csv" ;;
	esac
	if [ -n "${BENCH_MODELS:-}" ]; then
		extra="$extra
models: $BENCH_MODELS"
	fi
	cat >"$out/$mode.yaml" <<YAML
name: bench-$mode
seed: 1
data:
$data
split:
  unit: week
  calibration_end: 2024-12-31
  holdout_end: 2025-06-29
$extra
intervals:
  levels: []
output:
  dir: $out/results
  plots: false
  report: false
  predictions: $pred
YAML
	before=$(server_cpu)
	BENCH_CH_DSN=http://127.0.0.1:18123/ /usr/bin/time -v "$clv" run "$out/$mode.yaml" >"$out/$mode.out" 2>"$out/$mode.time" || { echo "$mode failed:"; head -5 "$out/$mode.time"; continue; }
	after=$(server_cpu)
	run=$(ls -td "$out/results/bench-$mode"/*/ | head -1)
	echo "== $mode"
	grep -E "Elapsed|User time|System time|Maximum resident" "$out/$mode.time"
	echo "	ClickHouse servers' CPU seconds: $(echo "scale=1; ($after - $before) / $ticks" | bc)"
	python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print("\tengine:", m.get("engine")); print("\tstages:", {k: round(v, 1) for k, v in m["stage_seconds"].items()})' "$run/manifest.json"
done
