#!/bin/sh
# chload.sh TABLE FILE.csv — loads a customer_id,date,amount CSV log into
# the cluster of chcluster.sh: a MergeTree TABLE_local on each shard and a
# Distributed TABLE over both, sharded by cityHash64(customer_id), as the
# tests' cluster has (with non-Nullable columns here).
set -eu
t=${1:?usage: chload.sh TABLE FILE.csv}
f=${2:?usage: chload.sh TABLE FILE.csv}
for p in 19000 19001; do
	clickhouse-client --port $p --query "CREATE TABLE $t""_local (customer_id String, date Date, amount Float64) ENGINE = MergeTree() ORDER BY customer_id"
done
clickhouse-client --port 19000 --query "CREATE TABLE $t AS $t""_local ENGINE = Distributed(clv_two_shards, default, $t""_local, cityHash64(customer_id))"
clickhouse-client --port 19000 --insert_distributed_sync=1 --query "INSERT INTO $t FORMAT CSVWithNames" <"$f"
for p in 19000 19001; do
	echo "shard :$p holds $(clickhouse-client --port $p --query "SELECT count() FROM $t""_local") rows"
done
