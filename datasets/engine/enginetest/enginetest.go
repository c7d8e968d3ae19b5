// Package enginetest starts throwaway database engines for tests: a
// PostgreSQL cluster in a temporary folder listening on a Unix socket, and
// a two-shard ClickHouse cluster (two server processes on loopback ports,
// a remote_servers cluster naming both, a MergeTree table on each shard and
// a Distributed table over them sharded by a hash of the customer id).
//
// A test calls Postgres or ClickHouse; when the engine cannot be started
// the test is skipped with the reason, or fails when the environment sets
// CLV_REQUIRE_ENGINES=1 (as .ci/run does). Engines stop when the test
// ends.
package enginetest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Row is one transaction; a nil field is NULL.
type Row struct{ Customer, Date, Amount *string }

// Str returns a pointer to s, for building rows.
func Str(s string) *string { return &s }

// Engine is a running engine with a loaded table.
type Engine struct {
	DSN string
	// Load creates the table name (customer_id text, date date, amount
	// double, all nullable) and inserts rows.
	Load func(t testing.TB, name string, rows []Row)
	// LoadTextDates does the same with a text date column (text,
	// Nullable(String)), its values as given.
	LoadTextDates func(t testing.TB, name string, rows []Row)
}

// unavailable skips or fails the test.
func unavailable(t testing.TB, engine string, err error) {
	t.Helper()
	if os.Getenv("CLV_REQUIRE_ENGINES") == "1" {
		t.Fatalf("%s cannot be started and CLV_REQUIRE_ENGINES=1: %v", engine, err)
	}
	t.Skipf("%s cannot be started here (install it, or see .ci/run): %v", engine, err)
}

// freePort asks the system for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tempDir makes a short temporary folder (socket paths are limited to
// about 100 bytes) removed when the test ends.
func tempDir(t testing.TB, prefix string) string {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// stopProcess ends a server this package started and waits for it.
func stopProcess(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// waitHTTP polls url until it answers 200 or the time is up.
func waitHTTP(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s in %v: %v", url, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ReadCDNOW reads the CDNOW sample (whitespace columns: master id, sample
// id, yyyymmdd date, CDs, dollars) as rows of sample id, ISO date, amount.
func ReadCDNOW(t testing.TB, path string) []Row {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 || len(fs[2]) != 8 {
			t.Fatalf("%s: unexpected line %q", path, sc.Text())
		}
		d := fs[2][:4] + "-" + fs[2][4:6] + "-" + fs[2][6:]
		rows = append(rows, Row{Str(fs[1]), Str(d), Str(fs[4])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// ReadCSV reads a customer_id,date,amount log with a header (no quoting).
func ReadCSV(t testing.TB, data []byte) []Row {
	var rows []Row
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue
		}
		fs := strings.Split(strings.TrimSpace(line), ",")
		if len(fs) != 3 {
			t.Fatalf("line %d: %q", i+1, line)
		}
		rows = append(rows, Row{Str(fs[0]), Str(fs[1]), Str(fs[2])})
	}
	return rows
}

// sqlLiteral writes a field as an SQL literal (NULL for nil).
func sqlLiteral(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + strings.ReplaceAll(*s, "'", "''") + "'"
}

// insertValues writes rows as VALUES tuples, in batches.
func insertValues(rows []Row, batch int, each func(values string) error) error {
	for len(rows) > 0 {
		n := min(batch, len(rows))
		parts := make([]string, n)
		for i, r := range rows[:n] {
			parts[i] = "(" + sqlLiteral(r.Customer) + ", " + sqlLiteral(r.Date) + ", " + sqlLiteral(r.Amount) + ")"
		}
		if err := each(strings.Join(parts, ", ")); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// ctx returns a context that ends with the test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

func join(parts ...string) string { return filepath.Join(parts...) }
