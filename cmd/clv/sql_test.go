package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLPrintsEachWindowPerEngine checks that clv sql prints the three
// statements of every window for the config's engine or the one asked
// for, quoting the table as that engine quotes names (the SQL itself is
// checked against the file reader on real engines in datasets/engine).
func TestSQLPrintsEachWindowPerEngine(t *testing.T) {
	cfg := filepath.Join(repoRoot(t), "configs", "postgres.yaml")
	for _, c := range []struct{ engine, table string }{{"", `FROM "cdnow"`}, {"clickhouse", "FROM `cdnow`"}} {
		args := []string{"sql", cfg, "--set", "split.origins=[1997-06-30]"}
		if c.engine != "" {
			args = append(args, "--engine", c.engine)
		}
		code, out, errOut := clv(t, args...)
		if code != 0 {
			t.Fatalf("clv %v: exit %d: %s", args, code, errOut)
		}
		if n := strings.Count(out, "-- customers"); n != 2 || strings.Count(out, c.table) != 6 {
			t.Fatalf("clv %v: %d windows, %d mentions of %s:\n%s", args, n, strings.Count(out, c.table), c.table, out)
		}
	}
	if code, _, errOut := clv(t, "sql", filepath.Join(repoRoot(t), "configs", "cdnow.yaml")); code != 2 || !strings.Contains(errOut, "data.engine") {
		t.Fatalf("clv sql on a file config: exit %d: %s", code, errOut)
	}
}
