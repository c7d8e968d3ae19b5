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

// TestSQLPrintsTheWriteBack checks that with output.table set clv sql
// also prints the statements that write the table, per engine, ending
// with the staging table taking the table's name (and, with
// output.table_replace, how an existing one is replaced); without it,
// none (the statements themselves are checked against what WriteTable
// runs in datasets/engine).
func TestSQLPrintsTheWriteBack(t *testing.T) {
	cfg := filepath.Join(repoRoot(t), "configs", "postgres.yaml")
	for _, c := range []struct{ engine, rename, replace string }{
		{"postgres", `ALTER TABLE "scores_clv_staging_<suffix>" RENAME TO "scores";`, `DROP TABLE "scores";`},
		{"clickhouse", "RENAME TABLE `scores_clv_staging_<suffix>` TO `scores`;", "DROP TABLE `scores_clv_replaced_<suffix>`;"},
	} {
		args := []string{"sql", cfg, "--engine", c.engine, "--set", "output.table=scores"}
		code, out, errOut := clv(t, args...)
		_, wb, found := strings.Cut(out, "output.table scores")
		if code != 0 || !found || !strings.Contains(wb, c.rename) || strings.Contains(wb, c.replace) || !strings.Contains(wb, "INSERT INTO") {
			t.Fatalf("clv %v: exit %d: %s\n%s", args, code, errOut, out)
		}
		args = append(args, "--set", "output.table_replace=true")
		code, out, errOut = clv(t, args...)
		if _, wb, _ := strings.Cut(out, "output.table scores"); code != 0 || !strings.Contains(wb, c.replace) {
			t.Fatalf("clv %v: exit %d: %s\n%s", args, code, errOut, out)
		}
	}
	if _, out, _ := clv(t, "sql", cfg); strings.Contains(out, "output.table") {
		t.Fatalf("clv sql without output.table prints a write-back:\n%s", out)
	}
}

// TestSQLDateText checks that --date-text prints the SQL that reads a
// text date column digit by digit (checked against the file reader on
// real engines in datasets/engine), and that without it the engine's own
// date conversion is used.
func TestSQLDateText(t *testing.T) {
	cfg := filepath.Join(repoRoot(t), "configs", "postgres.yaml")
	for _, c := range []struct{ engine, text, typed string }{
		{"postgres", "~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'", `CAST("date" AS date)`},
		{"clickhouse", "match(replaceRegexpAll(`date`", "toDate(`date`)"},
	} {
		for _, text := range []bool{false, true} {
			args := []string{"sql", cfg, "--engine", c.engine, "--set", "output.table=scores"}
			want, not := c.typed, c.text
			if text {
				args = append(args, "--date-text")
				want, not = c.text, c.typed
			}
			code, out, errOut := clv(t, args...)
			_, wb, _ := strings.Cut(out, "output.table scores")
			if code != 0 || !strings.Contains(out, want) || strings.Contains(out, not) || !strings.Contains(wb, want) {
				t.Fatalf("clv %v: exit %d: %s\n%s", args, code, errOut, out)
			}
		}
	}
}
