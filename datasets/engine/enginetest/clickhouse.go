package enginetest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// clusterName is the remote_servers cluster naming both shards.
const clusterName = "clv_two_shards"

const usersXML = `<yandex><profiles><default></default></profiles><quotas><default></default></quotas>
<users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users></yandex>
`

// ClickHouse starts two ClickHouse servers on loopback ports, each knowing
// the two-shard cluster; Load creates a MergeTree table on each shard and
// a Distributed table over both (sharded by cityHash64 of the customer
// id) and inserts through it. DSN is the first shard's HTTP address.
func ClickHouse(t testing.TB) *Engine {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/clickhouse-server"); serr != nil {
			unavailable(t, "ClickHouse", fmt.Errorf("clickhouse-server not found (apt-get install clickhouse-server)"))
		}
		bin = "/usr/sbin/clickhouse-server"
	}
	dir := tempDir(t, "clvch")
	if err := writeFile(join(dir, "users.xml"), usersXML); err != nil {
		t.Fatal(err)
	}
	var httpPorts, tcpPorts [2]int
	for i := range 2 {
		if httpPorts[i], err = freePort(); err == nil {
			tcpPorts[i], err = freePort()
		}
		if err != nil {
			unavailable(t, "ClickHouse", err)
		}
	}
	shards := ""
	for i := range 2 {
		shards += "<shard><replica><host>127.0.0.1</host><port>" + itoa(tcpPorts[i]) + "</port></replica></shard>"
	}
	for i := range 2 {
		sd := join(dir, "s"+itoa(i))
		cfg := "<yandex><logger><level>warning</level><log>" + sd + "/log</log><errorlog>" + sd + "/err</errorlog></logger>" +
			"<http_port>" + itoa(httpPorts[i]) + "</http_port><tcp_port>" + itoa(tcpPorts[i]) + "</tcp_port><listen_host>127.0.0.1</listen_host>" +
			"<path>" + sd + "/</path><tmp_path>" + sd + "/tmp/</tmp_path><user_files_path>" + sd + "/uf/</user_files_path>" +
			"<format_schema_path>" + sd + "/fs/</format_schema_path><users_config>" + dir + "/users.xml</users_config>" +
			"<mark_cache_size>5368709</mark_cache_size><remote_servers><" + clusterName + ">" + shards + "</" + clusterName + "></remote_servers></yandex>"
		if err := os.MkdirAll(sd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeFile(join(sd, "config.xml"), cfg); err != nil {
			t.Fatal(err)
		}
		srv := exec.Command(bin, "--config-file="+join(sd, "config.xml"))
		srv.Dir = sd
		if err := srv.Start(); err != nil {
			unavailable(t, "ClickHouse", err)
		}
		t.Cleanup(func() { stopProcess(srv) })
	}
	urls := [2]string{}
	for i := range 2 {
		urls[i] = "http://127.0.0.1:" + itoa(httpPorts[i]) + "/"
		if err := waitHTTP(urls[i]+"?query=SELECT%201", 60*time.Second); err != nil {
			unavailable(t, "ClickHouse", err)
		}
	}
	loader := func(dateType string) func(t testing.TB, name string, rows []Row) {
		return func(t testing.TB, name string, rows []Row) {
			t.Helper()
			for _, u := range urls {
				chExec(t, u, "CREATE TABLE "+name+"_local (customer_id Nullable(String), date "+dateType+", amount Nullable(Float64)) ENGINE = MergeTree() ORDER BY tuple()", "")
			}
			chExec(t, urls[0], "CREATE TABLE "+name+" AS "+name+"_local ENGINE = Distributed("+clusterName+", default, "+name+"_local, cityHash64(ifNull(customer_id, '')))", "")
			var b strings.Builder
			for _, r := range rows {
				b.WriteString(tsvField(r.Customer) + "\t" + tsvField(r.Date) + "\t" + tsvField(r.Amount) + "\n")
			}
			chExec(t, urls[0]+"?insert_distributed_sync=1", "INSERT INTO "+name+" FORMAT TabSeparated", b.String())
			// Both shards must hold rows: the queries then really run
			// distributed.
			if len(rows) >= 10 {
				for i, u := range urls {
					if n := chExec(t, u, "SELECT count(*) FROM "+name+"_local", ""); strings.TrimSpace(n) == "0" {
						t.Fatalf("shard %d holds none of the %d rows of %s", i+1, len(rows), name)
					}
				}
			}
		}
	}
	return &Engine{DSN: urls[0], Load: loader("Nullable(Date)"), LoadTextDates: loader("Nullable(String)")}
}

func tsvField(s *string) string {
	if s == nil {
		return `\N`
	}
	return strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`).Replace(*s)
}

// chExec runs a statement over HTTP (data, when set, is its input) and
// returns the answer.
func chExec(t testing.TB, base, sql, data string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("query", sql)
	u.RawQuery = q.Encode()
	resp, err := http.Post(u.String(), "text/plain", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("clickhouse: %s: %s", sql, body)
	}
	return string(body)
}

func sleep100ms() { time.Sleep(100 * time.Millisecond) }
