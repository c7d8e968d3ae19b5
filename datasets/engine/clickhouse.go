package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// chConn speaks to ClickHouse over its HTTP interface (no driver): the
// query goes in the body, the result comes back as TabSeparated text and
// is read row by row.
type chConn struct {
	endpoint string // the URL without user info
	user     string
	password string
	client   *http.Client
}

func openClickHouse(ctx context.Context, dsn string) (Conn, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("clickhouse: the connection string must be an HTTP address such as http://user:password@host:8123/?database=db")
	}
	c := &chConn{client: &http.Client{}}
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	u.User = nil
	c.endpoint = u.String()
	if err := c.ping(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *chConn) ping(ctx context.Context) error {
	r, err := c.Query(ctx, "SELECT 1")
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
	}
	return r.Err()
}

func (c *chConn) Dialect() Dialect { return ClickHouse }

func (c *chConn) Close() error { return nil }

// post sends a statement; body, when set, follows the statement as data
// (an INSERT ... FORMAT TabSeparated).
func (c *chConn) post(ctx context.Context, sql string, body io.Reader) (*http.Response, error) {
	target, in := c.endpoint, io.Reader(strings.NewReader(sql))
	if body != nil {
		u, _ := url.Parse(c.endpoint)
		q := u.Query()
		q.Set("query", sql)
		u.RawQuery = q.Encode()
		target, in = u.String(), body
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, in)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	if c.user != "" {
		req.Header.Set("X-ClickHouse-User", c.user)
		req.Header.Set("X-ClickHouse-Key", c.password)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("clickhouse: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

// Exec runs a statement; data, when set, is sent as its input.
func (c *chConn) Exec(ctx context.Context, sql string, data io.Reader) error {
	resp, err := c.post(ctx, sql, data)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func (c *chConn) Query(ctx context.Context, sql string) (Rows, error) {
	resp, err := c.post(ctx, sql+" FORMAT TabSeparated", nil)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	return &chRows{body: resp.Body, sc: sc}, nil
}

// chRows reads TabSeparated rows.
type chRows struct {
	body   io.ReadCloser
	sc     *bufio.Scanner
	fields []string
	err    error
}

func (r *chRows) Next() bool {
	if r.err != nil || !r.sc.Scan() {
		return false
	}
	r.fields = strings.Split(r.sc.Text(), "\t")
	return true
}

func (r *chRows) Err() error {
	if r.err != nil {
		return r.err
	}
	if err := r.sc.Err(); err != nil {
		return fmt.Errorf("clickhouse: reading the result: %w", err)
	}
	return nil
}

func (r *chRows) Close() { _ = r.body.Close() }

func (r *chRows) Scan(dest ...any) error {
	if len(dest) != len(r.fields) {
		return fmt.Errorf("clickhouse: %d columns in the row, %d expected", len(r.fields), len(dest))
	}
	for i, d := range dest {
		if err := scanField(r.fields[i], d); err != nil {
			return fmt.Errorf("clickhouse: column %d: %w", i+1, err)
		}
	}
	return nil
}

// scanField parses one TabSeparated field into d.
func scanField(f string, d any) error {
	if f == `\N` {
		return fmt.Errorf("unexpected NULL")
	}
	var err error
	switch p := d.(type) {
	case *string:
		*p = unescapeTSV(f)
	case *int64:
		*p, err = strconv.ParseInt(f, 10, 64)
	case *uint64:
		*p, err = strconv.ParseUint(f, 10, 64)
	case *float64:
		switch f {
		case "nan", "-nan":
			f = "NaN"
		case "inf", "+inf":
			f = "+Inf"
		case "-inf":
			f = "-Inf"
		}
		*p, err = strconv.ParseFloat(f, 64)
	default:
		return fmt.Errorf("cannot scan into %T", d)
	}
	return err
}

// unescapeTSV undoes TabSeparated escaping (\t, \n, \\ and friends).
func unescapeTSV(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
