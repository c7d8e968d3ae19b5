package engine

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// chConn speaks to ClickHouse over its HTTP interface (no driver): the
// query goes in the body, the result comes back as TabSeparated text,
// gzip-compressed (enable_http_compression), and is read row by row.
type chConn struct {
	endpoint string // the URL without user info
	user     string
	password string
	client   *http.Client
	received atomic.Int64 // response bytes as they came over the wire
}

func (c *chConn) bytesReceived() int64 { return c.received.Load() }

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

// post sends a statement with settings (URL parameters); body, when set,
// follows the statement as data (an INSERT ... FORMAT TabSeparated). The
// response body is read through a byte counter and, when the server
// compressed it, gzip.
func (c *chConn) post(ctx context.Context, sql string, body io.Reader, settings map[string]string) (*http.Response, error) {
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	q := u.Query()
	for k, v := range settings {
		q.Set(k, v)
	}
	in := io.Reader(strings.NewReader(sql))
	if body != nil {
		q.Set("query", sql)
		in = body
	} else {
		q.Set("enable_http_compression", "1")
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), in)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	if c.user != "" {
		req.Header.Set("X-ClickHouse-User", c.user)
		req.Header.Set("X-ClickHouse-Key", c.password)
	}
	// Asked for explicitly, so that net/http leaves the body compressed
	// and the bytes counted are those that crossed the network.
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	resp.Body = &countedBody{ReadCloser: resp.Body, n: &c.received}
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil && err != io.EOF {
			resp.Body.Close()
			return nil, fmt.Errorf("clickhouse: reading the compressed answer: %w", err)
		}
		if err == io.EOF { // an empty answer
			resp.Body = struct {
				io.Reader
				io.Closer
			}{strings.NewReader(""), resp.Body}
		} else {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{zr, resp.Body}
		}
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("clickhouse: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

// countedBody adds the bytes read to a counter.
type countedBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countedBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}

// Exec runs a statement; data, when set, is sent as its input.
func (c *chConn) Exec(ctx context.Context, sql string, data io.Reader) error {
	resp, err := c.post(ctx, sql, data, nil)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func (c *chConn) Query(ctx context.Context, sql string) (Rows, error) {
	return c.queryWithSettings(ctx, sql, nil)
}

func (c *chConn) queryWithSettings(ctx context.Context, sql string, settings map[string]string) (Rows, error) {
	resp, err := c.post(ctx, sql+" FORMAT TabSeparated", nil, settings)
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

// shardSettings returns the ClickHouse settings of the customer
// statements: distributed_group_by_no_merge = 1 when spec reads a
// Distributed table sharded by the customer column alone, so that every
// customer lives on one shard and each shard's per-customer rows are final
// (its shards do the whole aggregation, the initiator only collects
// rows). For any other source the settings are none: merging is then
// needed for the sums to be right.
func shardSettings(ctx context.Context, conn Conn, spec Spec) (map[string]string, error) {
	if conn.Dialect() != ClickHouse || spec.Table == "" {
		return nil, nil
	}
	db, name := "currentDatabase()", spec.Table
	if i := strings.LastIndex(spec.Table, "."); i >= 0 {
		db, name = "'"+spec.Table[:i]+"'", spec.Table[i+1:]
	}
	// quoteIdent has refused names with quotes or backslashes.
	if _, err := quoteIdent(ClickHouse, spec.Table); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, "SELECT engine, engine_full FROM system.tables WHERE database = "+db+" AND name = '"+name+"'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var eng, full string
	for rows.Next() {
		if err := rows.Scan(&eng, &full); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if eng == "Distributed" && shardedBy(full, spec.Customer) {
		return map[string]string{"distributed_group_by_no_merge": "1"}, nil
	}
	return nil, nil
}

// shardedBy reports whether a Distributed engine definition,
// Distributed(cluster, db, table, key[, policy]), has a sharding key
// whose only column is customer (a function of it such as
// cityHash64(customer_id)).
func shardedBy(engineFull, customer string) bool {
	open, end := strings.Index(engineFull, "("), strings.LastIndex(engineFull, ")")
	if open < 0 || end < open {
		return false
	}
	args := splitTopLevel(engineFull[open+1 : end])
	if len(args) < 4 {
		return false
	}
	key := args[3]
	var columns []string
	for i := 0; i < len(key); {
		c := key[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(key) && key[j] != '\'' {
				if key[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '`' || c == '"':
			j := strings.IndexByte(key[i+1:], c)
			if j < 0 {
				return false
			}
			columns = append(columns, key[i+1:i+1+j])
			i += j + 2
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(key) && (key[j] == '_' || key[j] >= 'a' && key[j] <= 'z' || key[j] >= 'A' && key[j] <= 'Z' || key[j] >= '0' && key[j] <= '9') {
				j++
			}
			rest := strings.TrimLeft(key[j:], " ")
			if !strings.HasPrefix(rest, "(") { // a function's name is not a column
				columns = append(columns, key[i:j])
			}
			i = j
		case c >= '0' && c <= '9':
			for i < len(key) && (key[i] == '.' || key[i] >= '0' && key[i] <= '9' || key[i] >= 'a' && key[i] <= 'z' || key[i] >= 'A' && key[i] <= 'Z') {
				i++
			}
		default:
			i++
		}
	}
	if len(columns) == 0 {
		return false
	}
	for _, col := range columns {
		if col != strings.TrimSpace(customer) {
			return false
		}
	}
	return true
}

// splitTopLevel splits a list of arguments at the commas outside
// parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
