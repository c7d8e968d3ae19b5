package engine

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine/enginetest"
)

// countingTransport counts the response bytes read from the engine.
type countingTransport struct{ n *atomic.Int64 }

type countingBody struct {
	r interface {
		Read([]byte) (int, error)
		Close() error
	}
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}

func (c countingBody) Close() error { return c.r.Close() }

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, t.n}
	}
	return resp, err
}

// BenchmarkSummaryClickHouseVsCSV summarizes one simulated log (the
// quickstart's model, CLV_BENCH_CUSTOMERS customers, 100000 by default)
// in the two-shard ClickHouse cluster and from its CSV text, reporting
// the bytes that reach clv per summary in each case.
//
//	go test ./datasets/engine -run '^$' -bench SummaryClickHouseVsCSV -benchtime 3x
func BenchmarkSummaryClickHouseVsCSV(b *testing.B) {
	cfg := datasets.QuickstartSimulation
	cfg.Customers = 100000
	if n, err := strconv.Atoi(os.Getenv("CLV_BENCH_CUSTOMERS")); err == nil && n > 0 {
		cfg.Customers = n
	}
	sim, err := datasets.Simulate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var csv bytes.Buffer
	if err := sim.WriteCSV(&csv); err != nil {
		b.Fatal(err)
	}
	rows := enginetest.ReadCSV(b, csv.Bytes())
	eng := enginetest.ClickHouse(b)
	eng.Load(b, "sim", rows)
	rows = nil
	ctx := context.Background()
	conn, err := Open(ctx, ClickHouse, eng.DSN)
	if err != nil {
		b.Fatal(err)
	}
	var received atomic.Int64
	conn.(*chConn).client.Transport = countingTransport{&received}
	so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(2024, 9, 29, 0, 0, 0, 0, time.UTC),
		HoldoutEnd: time.Date(2025, 6, 29, 0, 0, 0, 0, time.UTC)}
	spec := Spec{Dialect: ClickHouse, Table: "sim", Customer: "customer_id", Date: "date", Amount: "amount", Summary: so}
	b.Logf("%d customers, %d CSV bytes", cfg.Customers, csv.Len())
	b.Run("clickhouse", func(b *testing.B) {
		received.Store(0)
		for b.Loop() {
			if _, err := Summarize(ctx, conn, spec); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(received.Load())/float64(b.N), "bytes_received/op")
	})
	b.Run("clickhouse-patterns", func(b *testing.B) {
		received.Store(0)
		for b.Loop() {
			if _, err := SummarizePatterns(ctx, conn, spec); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(received.Load())/float64(b.N), "bytes_received/op")
	})
	b.Run("csv", func(b *testing.B) {
		for b.Loop() {
			if _, err := datasets.Summarize(bytes.NewReader(csv.Bytes()), "sim.csv", datasets.ReadOptions{}, so); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(csv.Len()), "bytes_read/op")
	})
}

// BenchmarkFetchPatternsVsCustomers reports what crosses the wire for one
// summary fetched per customer (Summarize) and as the pattern table
// (SummarizePatterns, without and with the spend pairs): rows and bytes
// received, as they came over the network (gzip for ClickHouse). The
// sources are CDNOW and the quickstart data loaded into both engines, or,
// with CLV_BENCH_DSN (a ClickHouse HTTP address) and CLV_BENCH_TABLE
// (customer_id, date, amount), that table (the backtest of the issue's
// benchmark: weeks, calibration to 2024-12-31, holdout to 2025-06-29).
//
//	go test ./datasets/engine -run '^$' -bench FetchPatternsVsCustomers -benchtime 1x
func BenchmarkFetchPatternsVsCustomers(b *testing.B) {
	ctx := context.Background()
	type source struct {
		name string
		conn Conn
		spec Spec
	}
	var sources []source
	if dsn, table := os.Getenv("CLV_BENCH_DSN"), os.Getenv("CLV_BENCH_TABLE"); dsn != "" && table != "" {
		conn, err := Open(ctx, ClickHouse, dsn)
		if err != nil {
			b.Fatal(err)
		}
		so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC),
			HoldoutEnd: time.Date(2025, 6, 29, 0, 0, 0, 0, time.UTC)}
		sources = append(sources, source{"clickhouse-" + table, conn, Spec{Table: table, Customer: "customer_id", Date: "date", Amount: "amount", Summary: so}})
	} else {
		cdnow := os.Getenv("CLV_SHARED")
		if cdnow == "" {
			cdnow = "../../../shared"
		}
		cdnow += "/datasets/CDNOW_sample.txt"
		qs, err := datasets.Embedded("quickstart")
		if err != nil {
			b.Fatal(err)
		}
		cdnowSO := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
			HoldoutEnd: time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)}
		qsSO := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(2024, 9, 29, 0, 0, 0, 0, time.UTC),
			HoldoutEnd: time.Date(2025, 6, 29, 0, 0, 0, 0, time.UTC)}
		for _, e := range []struct {
			d     Dialect
			start func(testing.TB) *enginetest.Engine
		}{{Postgres, enginetest.Postgres}, {ClickHouse, enginetest.ClickHouse}} {
			eng := e.start(b)
			eng.Load(b, "cdnow", enginetest.ReadCDNOW(b, cdnow))
			eng.Load(b, "quickstart", enginetest.ReadCSV(b, qs))
			conn, err := Open(ctx, e.d, eng.DSN)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			for _, t := range []struct {
				name string
				so   datasets.SummaryOptions
			}{{"cdnow", cdnowSO}, {"quickstart", qsSO}} {
				sources = append(sources, source{string(e.d) + "-" + t.name, conn,
					Spec{Table: t.name, Customer: "customer_id", Date: "date", Amount: "amount", Summary: t.so}})
			}
		}
	}
	for _, src := range sources {
		for _, mode := range []string{"customers", "patterns", "patterns+spend"} {
			b.Run(src.name+"/"+mode, func(b *testing.B) {
				var rows int
				before := BytesReceived(src.conn)
				for b.Loop() {
					spec := src.spec
					spec.PatternSpend = mode == "patterns+spend"
					if mode == "customers" {
						s, err := Summarize(ctx, src.conn, spec)
						if err != nil {
							b.Fatal(err)
						}
						rows = len(s.Customers) + s.LateCustomers
						continue
					}
					p, err := SummarizePatterns(ctx, src.conn, spec)
					if err != nil {
						b.Fatal(err)
					}
					rows = len(p.Summary.Customers) + len(p.Spend)
				}
				b.ReportMetric(float64(rows), "rows")
				b.ReportMetric(float64(BytesReceived(src.conn)-before)/float64(b.N), "bytes_received/op")
			})
		}
	}
}
