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

// settingsQuerier is a connection that takes per-query engine settings
// (ClickHouse).
type settingsQuerier interface {
	queryWithSettings(ctx context.Context, sql string, settings map[string]string) (Rows, error)
}

// queryWith runs sql with settings where the engine takes them.
func queryWith(ctx context.Context, c Conn, sql string, settings map[string]string) (Rows, error) {
	if sq, ok := c.(settingsQuerier); ok && len(settings) > 0 {
		return sq.queryWithSettings(ctx, sql, settings)
	}
	return c.Query(ctx, sql)
}

// byteCounter is a connection that counts the bytes it received.
type byteCounter interface{ bytesReceived() int64 }

// BytesReceived returns the bytes conn has received from the engine so
// far, as they came over the network (compressed when the engine
// compressed them), or -1 when the connection does not count them.
func BytesReceived(conn Conn) int64 {
	if bc, ok := conn.(byteCounter); ok {
		return bc.bytesReceived()
	}
	return -1
}
