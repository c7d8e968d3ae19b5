package engine

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// pgConn is a PostgreSQL connection (pgx, pure Go) with the session time
// zone set to UTC, so that a timestamptz column falls on UTC days as the
// file reader's dates do.
type pgConn struct {
	c        *pgx.Conn
	received *atomic.Int64 // bytes read from the server's socket
}

func (p *pgConn) bytesReceived() int64 { return p.received.Load() }

// countingConn counts the bytes read from a network connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	k, err := c.Conn.Read(b)
	c.n.Add(int64(k))
	return k, err
}

func openPostgres(ctx context.Context, dsn string) (Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["TimeZone"] = "UTC"
	received := &atomic.Int64{}
	if dial := cfg.DialFunc; dial != nil {
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, n: received}, nil
		}
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &pgConn{c: c, received: received}, nil
}

func (p *pgConn) Dialect() Dialect { return Postgres }

func (p *pgConn) Query(ctx context.Context, sql string) (Rows, error) {
	r, err := p.c.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return pgRows{r}, nil
}

func (p *pgConn) Close() error { return p.c.Close(context.Background()) }

// Exec runs a statement that returns no rows (tests load fixtures with it).
func (p *pgConn) Exec(ctx context.Context, sql string) error {
	_, err := p.c.Exec(ctx, sql)
	return err
}

type pgRows struct{ pgx.Rows }

func (r pgRows) Scan(dest ...any) error {
	if err := r.Rows.Scan(dest...); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
