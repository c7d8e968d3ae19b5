package experiments

import (
	"strings"
	"testing"
)

func TestRedactDSNDropsThePassword(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://clv:s3cret@db.example:5432/sales?sslmode=require", "postgres://clv:REDACTED@db.example:5432/sales?sslmode=require"},
		{"http://default:s3cret@127.0.0.1:8123/?database=shop", "http://default:REDACTED@127.0.0.1:8123/?database=shop"},
		{"http://127.0.0.1:8123/?password=s3cret&user=u", "http://127.0.0.1:8123/?password=REDACTED&user=u"},
		{"host=/tmp port=5432 user=clv password=s3cret dbname=x", "host=/tmp port=5432 user=clv password=REDACTED dbname=x"},
		{"host=db password='s3 cret' user=clv", "host=db password=REDACTED user=clv"},
		{"postgres://clv@db/sales", "postgres://clv@db/sales"},
	} {
		got := RedactDSN(c.dsn)
		if got != c.want || strings.Contains(got, "s3") {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.dsn, got, c.want)
		}
	}
}
