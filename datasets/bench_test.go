package datasets

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/clv-dev/clv/internal/cputime"
)

// splitmix64 is a small deterministic generator for test logs.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// benchLogStart is the first day of generated logs.
var benchLogStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// benchWindows splits a generated two-year log: one year of calibration,
// one of holdout.
var benchWindows = SummaryOptions{
	Unit:           Week,
	CalibrationEnd: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC),
	HoldoutEnd:     time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC),
}

// writeTimeOrderedLog writes a CSV log (customer_id,date,amount) of rows
// purchases spread evenly over 2020-2021 in time order, each by a customer
// drawn uniformly from 1..customers, as a real log comes: interleaved, not
// grouped by customer.
func writeTimeOrderedLog(path string, rows, customers int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("customer_id,date,amount\n")
	rng := splitmix64(42)
	const days = 731
	var line []byte
	lastDay, date := -1, ""
	for i := 0; i < rows; i++ {
		day := int(int64(i) * days / int64(rows))
		if day != lastDay {
			date, lastDay = benchLogStart.AddDate(0, 0, day).Format("2006-01-02"), day
		}
		r := rng.next()
		line = strconv.AppendUint(line[:0], r%uint64(customers)+1, 10)
		line = append(line, ',')
		line = append(line, date...)
		line = append(line, ',')
		cents := (r >> 32) % 20000
		line = strconv.AppendUint(line, cents/100, 10)
		line = append(line, '.', byte('0'+cents/10%10), byte('0'+cents%10), '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func benchmarkSummarize(b *testing.B, rows, customers int) {
	for _, reader := range []struct {
		name     string
		parallel int
	}{{"parallel", 0}, {"sequential", -1}} {
		b.Run(reader.name, func(b *testing.B) { benchmarkSummarizeWith(b, rows, customers, reader.parallel) })
	}
}

func benchmarkSummarizeWith(b *testing.B, rows, customers, parallel int) {
	path := filepath.Join(b.TempDir(), "log.csv")
	if err := writeTimeOrderedLog(path, rows, customers); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var s *Summary
	cpu0 := cputime.Process()
	b.ResetTimer()
	for b.Loop() {
		var err error
		if s, err = summarizeFile(path, ReadOptions{}, benchWindows, func(c *readConfig) { c.parallel = parallel }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cputime.Process() - cpu0
	if s.Accounting.RowsUsed != int64(rows) {
		b.Fatalf("used %d rows of %d", s.Accounting.RowsUsed, rows)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	// Rows per second of CPU time (user + system, all threads, the
	// garbage collector's included): the figure to trust on a shared
	// machine, where wall time depends on the other processes.
	if cpu > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
	// The memory the summary and its reading keep: the heap in use after a
	// collection, with the result still alive, over the heap before.
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := len(s.Customers) + s.LateCustomers
	b.ReportMetric(float64(n), "customers")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heapB/customer")
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "heapSysMB")
	runtime.KeepAlive(s)
}

// BenchmarkSummarize10M summarizes 10 million rows from 1 million
// customers in time order, with the parallel reader (the default) and with
// the sequential one it falls back to. Run it with
//
//	go test ./datasets -run XXX -bench Summarize10M -benchtime 3x
func BenchmarkSummarize10M(b *testing.B) { benchmarkSummarize(b, 10_000_000, 1_000_000) }

// BenchmarkSummarize1M is the quick variant: 1 million rows, 100,000
// customers.
func BenchmarkSummarize1M(b *testing.B) { benchmarkSummarize(b, 1_000_000, 100_000) }

// BenchmarkCustomerTable applies purchases of customers drawn uniformly
// (a log in time order) to one shard of the customer table, growing it
// from empty: the memory accesses and the growth of the table alone.
//
//	go test ./datasets -run XXX -bench CustomerTable -benchtime 3x
func BenchmarkCustomerTable(b *testing.B) {
	for _, customers := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(customers), func(b *testing.B) {
			rows := 10 * customers
			ps := make([]purchase, rows)
			rng := splitmix64(7)
			for i := range ps {
				id := rng.next()%uint64(customers) + 1
				ps[i] = purchase{key: id<<4 | 8, day: int32(i * 700 / rows), amount: float64(i % 100)}
			}
			cpu0 := cputime.Process()
			for b.Loop() {
				cs := newCustomerTable(365, 0, 0)
				cs.shards[0].addBatch(ps)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows*b.N), "ns/row")
			b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(rows*b.N), "cpu-ns/row")
		})
	}
}

// BenchmarkBlockParse parses 256 KiB blocks of a time-ordered log
// (customer_id,date,amount) as a worker of the parallel reader does, with
// fastRow (the default for that layout) and with the general row alone.
//
//	go test ./datasets -run XXX -bench BlockParse
func BenchmarkBlockParse(b *testing.B) {
	path := filepath.Join(b.TempDir(), "log.csv")
	if err := writeTimeOrderedLog(path, 200_000, 50_000); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	c, err := ReadOptions{}.config()
	if err != nil {
		b.Fatal(err)
	}
	w, err := newWindow(benchWindows, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	src, err := openReaderSource(bytes.NewReader(data), "log.csv", c)
	if err != nil {
		b.Fatal(err)
	}
	body := data[bytes.IndexByte(data, '\n')+1:]
	blk := &block{data: body[:bytes.LastIndexByte(body[:defaultBlockSize], '\n')+1]}
	for _, fast := range []bool{true, false} {
		b.Run(map[bool]string{true: "fastRow", false: "row"}[fast], func(b *testing.B) {
			bp := newBlockParser(src.(*textSource), w, false)
			bp.plain = bp.plain && fast
			for b.Loop() {
				bp.parse(blk)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*blk.lines), "ns/line")
		})
	}
}
