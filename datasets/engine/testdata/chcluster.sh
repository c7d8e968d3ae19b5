#!/bin/sh
# chcluster.sh DIR start|stop — a two-shard ClickHouse cluster on this
# machine, as datasets/engine/enginetest starts for the tests, but kept
# running for a benchmark: shard 1 on HTTP 18123 / TCP 19000, shard 2 on
# HTTP 18124 / TCP 19001, cluster clv_two_shards naming both.
set -eu
dir=${1:?usage: chcluster.sh DIR start|stop}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case ${2:?usage: chcluster.sh DIR start|stop} in
stop)
	for i in 0 1; do
		if [ -f "$dir/s$i/pid" ]; then kill "$(cat "$dir/s$i/pid")" 2>/dev/null || true; rm -f "$dir/s$i/pid"; fi
	done
	exit 0 ;;
start) ;;
*) echo "usage: chcluster.sh DIR start|stop" >&2; exit 2 ;;
esac
cat >"$dir/users.xml" <<XML
<yandex><profiles><default></default></profiles><quotas><default></default></quotas>
<users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users></yandex>
XML
shards="<shard><replica><host>127.0.0.1</host><port>19000</port></replica></shard><shard><replica><host>127.0.0.1</host><port>19001</port></replica></shard>"
for i in 0 1; do
	sd=$dir/s$i
	mkdir -p "$sd"
	cat >"$sd/config.xml" <<XML
<yandex><logger><level>warning</level><log>$sd/log</log><errorlog>$sd/err</errorlog></logger>
<http_port>$((18123 + i))</http_port><tcp_port>$((19000 + i))</tcp_port><listen_host>127.0.0.1</listen_host>
<path>$sd/</path><tmp_path>$sd/tmp/</tmp_path><user_files_path>$sd/uf/</user_files_path>
<format_schema_path>$sd/fs/</format_schema_path><users_config>$dir/users.xml</users_config>
<mark_cache_size>536870912</mark_cache_size>
<remote_servers><clv_two_shards>$shards</clv_two_shards></remote_servers></yandex>
XML
	(cd "$sd" && nohup clickhouse-server --config-file="$sd/config.xml" >"$sd/stdout" 2>&1 & echo $! >"$sd/pid")
done
for i in 0 1; do
	n=0
	until curl -sf "http://127.0.0.1:$((18123 + i))/?query=SELECT%201" >/dev/null; do
		n=$((n + 1)); [ $n -lt 600 ] || { echo "shard $i did not start" >&2; exit 1; }
		sleep 0.1
	done
done
echo "two shards up: http://127.0.0.1:18123/ and :18124"
