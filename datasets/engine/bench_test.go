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
	b.Run("csv", func(b *testing.B) {
		for b.Loop() {
			if _, err := datasets.Summarize(bytes.NewReader(csv.Bytes()), "sim.csv", datasets.ReadOptions{}, so); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(csv.Len()), "bytes_read/op")
	})
}
