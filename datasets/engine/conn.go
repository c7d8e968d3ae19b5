package engine

import "context"

// Conn runs a query and hands back its rows one at a time. Scan targets
// are *string, *int64, *uint64 and *float64.
type Conn interface {
	Dialect() Dialect
	Query(ctx context.Context, sql string) (Rows, error)
	Close() error
}

// Rows is a result read row by row, as database/sql reads one.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Open connects to the engine at dsn: a PostgreSQL connection string
// (postgres://user:pass@host:port/db or key=value pairs) or a ClickHouse
// HTTP address (http://user:pass@host:8123/?database=db).
func Open(ctx context.Context, d Dialect, dsn string) (Conn, error) {
	switch d {
	case Postgres:
		return openPostgres(ctx, dsn)
	case ClickHouse:
		return openClickHouse(ctx, dsn)
	}
	return nil, &UnknownDialectError{Dialect: d}
}

// UnknownDialectError reports an engine name that is not supported.
type UnknownDialectError struct{ Dialect Dialect }

func (e *UnknownDialectError) Error() string {
	return "engine: unknown dialect " + string(e.Dialect) + ": use postgres or clickhouse"
}
