package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Written describes a table a write-back created.
type Written struct {
	// Table is the table's name as given, Rows its rows and Replaced
	// whether it took the place of an existing table.
	Table    string
	Rows     int64
	Replaced bool
	// PatternRows are the rows of the pattern table sent and BytesSent
	// their size in the upload format (see UploadBytes).
	PatternRows int
	BytesSent   int64
}

// TableExistsError reports an output table that exists when replacing it
// was not asked for.
type TableExistsError struct{ Table string }

func (e *TableExistsError) Error() string {
	return "engine: the table " + e.Table + " already exists"
}

// RowCountError reports a written table whose rows are not the run's
// customers (the data changed, or a customer's pattern was not sent); the
// table is not kept.
type RowCountError struct {
	Table      string
	Rows, Want int64
}

func (e *RowCountError) Error() string {
	return fmt.Sprintf("engine: the table %s would hold %d rows, but the run predicted %d customers: was the data changed meanwhile?", e.Table, e.Rows, e.Want)
}

// WriteTable creates the table of a write-back in the database of conn,
// atomically: the rows go into a staging table that takes the table's
// name at the end (in one transaction on PostgreSQL; by RENAME TABLE on
// ClickHouse), so a failure leaves no half table, and an existing table is
// replaced only when wb.Replace says so. On ClickHouse the table is a
// MergeTree table on the server conn speaks to (the Distributed source is
// read through it), ordered by the first column.
func WriteTable(ctx context.Context, conn Conn, wb WriteBack) (*Written, error) {
	wb.Source.Dialect = conn.Dialect()
	if err := wb.check(); err != nil {
		return nil, err
	}
	if err := DetectDateText(ctx, conn, &wb.Source); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	switch c := conn.(type) {
	case *pgConn:
		return writePostgres(ctx, c, &wb, suffix)
	case *chConn:
		return writeClickHouse(ctx, c, &wb, suffix)
	}
	return nil, fmt.Errorf("engine: writing a table is not supported on %T", conn)
}

// sibling returns a name next to table (same schema or database) with a
// suffix, and the last part alone.
func sibling(table, suffix string) (full, last string) {
	parts := strings.Split(strings.TrimSpace(table), ".")
	parts[len(parts)-1] += suffix
	return strings.Join(parts, "."), parts[len(parts)-1]
}

func (wb *WriteBack) patternBytes() int64 {
	return UploadBytes(wb.Source.Dialect, int64(len(wb.Patterns.Keys)), int64(3+len(wb.Patterns.Columns)), 0, 0)
}

func writePostgres(ctx context.Context, c *pgConn, wb *WriteBack, suffix string) (_ *Written, err error) {
	s, err := wb.statements(suffix)
	if err != nil {
		return nil, err
	}
	tx, err := c.c.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.Background())
		}
	}()
	var exists bool
	if err := tx.QueryRow(ctx, s.exists).Scan(&exists); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if exists && !wb.Replace {
		return nil, &TableExistsError{Table: wb.Table}
	}
	if _, err := tx.Exec(ctx, s.createPatterns); err != nil {
		return nil, fmt.Errorf("postgres: creating the pattern table: %w", err)
	}
	names := append([]string{keyX, keyR, keyT}, wb.Patterns.Columns...)
	p := wb.Patterns
	src := pgx.CopyFromSlice(len(p.Keys), func(j int) ([]any, error) {
		row := make([]any, 0, len(names))
		k := p.Keys[j]
		row = append(row, k.X, k.RecencyDays, k.AgeDays)
		for c := range p.Columns {
			row = append(row, p.Values[c][j])
		}
		return row, nil
	})
	// pgx sends s.upload's COPY itself.
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.patternsName}, names, src); err != nil {
		return nil, fmt.Errorf("postgres: sending the pattern table: %w", err)
	}
	if _, err := tx.Exec(ctx, s.createStaging); err != nil {
		return nil, fmt.Errorf("postgres: creating %s: %w", s.stagingName, err)
	}
	tag, err := tx.Exec(ctx, s.fill)
	if err != nil {
		return nil, fmt.Errorf("postgres: computing the table: %w", err)
	}
	w := &Written{Table: wb.Table, Rows: tag.RowsAffected(), PatternRows: len(p.Keys), BytesSent: wb.patternBytes(), Replaced: exists}
	if w.Rows != wb.ExpectRows {
		return nil, &RowCountError{Table: wb.Table, Rows: w.Rows, Want: wb.ExpectRows}
	}
	for _, st := range s.publish(Postgres, exists) {
		if _, err := tx.Exec(ctx, st); err != nil {
			return nil, fmt.Errorf("postgres: renaming %s to %s: %w", s.stagingName, wb.Table, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return w, nil
}

func writeClickHouse(ctx context.Context, c *chConn, wb *WriteBack, suffix string) (*Written, error) {
	s, err := wb.statements(suffix)
	if err != nil {
		return nil, err
	}
	exists, err := c.scalar(ctx, s.exists)
	if err != nil {
		return nil, err
	}
	if exists == 1 && !wb.Replace {
		return nil, &TableExistsError{Table: wb.Table}
	}
	cleanup := func(tables ...string) {
		for _, t := range tables {
			_ = c.Exec(context.Background(), "DROP TABLE IF EXISTS "+t, nil)
		}
	}
	if err := c.Exec(ctx, s.createPatterns, nil); err != nil {
		return nil, fmt.Errorf("creating the pattern table: %w", err)
	}
	defer cleanup(s.patterns)
	if err := c.Exec(ctx, s.upload, bytes.NewReader(wb.rowBinary())); err != nil {
		return nil, fmt.Errorf("sending the pattern table: %w", err)
	}
	if err := c.Exec(ctx, s.createStaging, nil); err != nil {
		return nil, fmt.Errorf("creating %s: %w", s.stagingName, err)
	}
	kept := false
	defer func() {
		if !kept {
			cleanup(s.staging)
		}
	}()
	if err := c.Exec(ctx, s.fill, nil); err != nil {
		return nil, fmt.Errorf("computing the table: %w", err)
	}
	w := &Written{Table: wb.Table, PatternRows: len(wb.Patterns.Keys), BytesSent: wb.patternBytes(), Replaced: exists == 1}
	if w.Rows, err = c.scalar(ctx, s.count); err != nil {
		return nil, err
	}
	if w.Rows != wb.ExpectRows {
		return nil, &RowCountError{Table: wb.Table, Rows: w.Rows, Want: wb.ExpectRows}
	}
	publish := s.publish(ClickHouse, w.Replaced)
	if err := c.Exec(ctx, publish[0], nil); err != nil && w.Replaced {
		return nil, fmt.Errorf("replacing %s: %w", wb.Table, err)
	} else if err != nil {
		return nil, fmt.Errorf("renaming %s to %s: %w", s.stagingName, wb.Table, err)
	}
	kept = true
	if len(publish) > 1 {
		if err := c.Exec(ctx, publish[1], nil); err != nil {
			return nil, fmt.Errorf("dropping the replaced table, now %s: %w", s.oldName, err)
		}
	}
	return w, nil
}

// rowBinary encodes the pattern table in ClickHouse's RowBinary format
// (little-endian Int64 and Float64): exact, unlike a decimal text.
func (wb *WriteBack) rowBinary() []byte {
	p := wb.Patterns
	b := make([]byte, 0, len(p.Keys)*8*(3+len(p.Columns)))
	for j, k := range p.Keys {
		b = binary.LittleEndian.AppendUint64(b, uint64(k.X))
		b = binary.LittleEndian.AppendUint64(b, uint64(k.RecencyDays))
		b = binary.LittleEndian.AppendUint64(b, uint64(k.AgeDays))
		for c := range p.Columns {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Values[c][j]))
		}
	}
	return b
}

// tableExists asks ClickHouse whether a table exists.
func (c *chConn) tableExists(ctx context.Context, table string) (bool, error) {
	n, err := c.scalar(ctx, "EXISTS TABLE "+table)
	return n == 1, err
}

func (c *chConn) scalar(ctx context.Context, sql string) (int64, error) {
	rows, err := c.Query(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("clickhouse: %s returned no row", sql)
	}
	if err := rows.Scan(&n); err != nil {
		return 0, err
	}
	return n, rows.Err()
}

// TableExists reports whether a table exists in the database of conn.
func TableExists(ctx context.Context, conn Conn, table string) (bool, error) {
	q, err := quoteIdent(conn.Dialect(), table)
	if err != nil {
		return false, fmt.Errorf("engine: output table: %w", err)
	}
	switch c := conn.(type) {
	case *pgConn:
		var exists bool
		if err := c.c.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", q).Scan(&exists); err != nil {
			return false, fmt.Errorf("postgres: %w", err)
		}
		return exists, nil
	case *chConn:
		return c.tableExists(ctx, q)
	}
	return false, fmt.Errorf("engine: tables are not supported on %T", conn)
}
