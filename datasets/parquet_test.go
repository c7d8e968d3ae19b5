package datasets

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// pqPlain is a log as Parquet with string columns, as written by a CSV
// export.
type pqPlain struct {
	CustomerID string  `parquet:"customer_id"`
	Date       string  `parquet:"date"`
	Amount     float64 `parquet:"amount"`
}

// pqTyped holds the same log in typed columns: an integer id, a DATE, a
// TIMESTAMP, a DECIMAL amount in cents and an optional double. (The DATE
// is written from an int32 of days: parquet-go v0.32.0 writes a time.Time
// tagged "date" as truncated nanoseconds, which its own reader does not
// read back.)
type pqTyped struct {
	Note   string    `parquet:"note"`
	Cust   int64     `parquet:"cust"`
	Day    int32     `parquet:"day,date"`
	TS     time.Time `parquet:"ts,timestamp(microsecond)"`
	Cents  int64     `parquet:"cents,decimal(2:18)"`
	Spend  *float64  `parquet:"spend,optional"`
	Amount string    `parquet:"amount_text"`
}

func writeParquet[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, parquet.MaxRowsPerRowGroup(50))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestParquet writes a random log as CSV and as Parquet (several row
// groups, string and typed columns) and checks that every form gives the
// same summary as the CSV.
func TestParquet(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	rows := randomRows(rng, 40)
	for i := range rows {
		rows[i].id = strings.TrimPrefix(rows[i].id, "c") // integer ids for the int64 column
		rows[i].amount = float64(int(rows[i].amount*100)) / 100
	}
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 3, 1), HoldoutEnd: date(2024, 4, 29)}
	csvPath := filepath.Join(dir, "log.csv")
	if err := os.WriteFile(csvPath, rowsCSV(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := SummarizeFile(csvPath, ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}

	plain := make([]pqPlain, len(rows))
	typed := make([]pqTyped, len(rows))
	for i, r := range rows {
		plain[i] = pqPlain{r.id, formatDay(r.day), r.amount}
		id, _ := strconv.ParseInt(r.id, 10, 64)
		cents := int64(r.amount*100 + 0.5)
		spend := r.amount
		typed[i] = pqTyped{Note: "x", Cust: id, Day: int32(r.day), TS: timeOfDay(r.day).Add(23 * time.Hour),
			Cents: cents, Spend: &spend, Amount: strconv.FormatFloat(r.amount, 'f', -1, 64)}
	}
	writeParquet(t, filepath.Join(dir, "plain.parquet"), plain)
	writeParquet(t, filepath.Join(dir, "typed.parquet"), typed)
	writeParquet(t, filepath.Join(dir, "typed.bin"), typed) // found by its magic bytes

	cases := []struct {
		file string
		ro   ReadOptions
	}{
		{"plain.parquet", ReadOptions{}},
		{"plain.parquet", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}},
		{"typed.parquet", ReadOptions{Customer: ColumnNamed("cust"), Date: ColumnNamed("day"), Amount: ColumnNamed("cents")}},
		{"typed.parquet", ReadOptions{Customer: ColumnNamed("cust"), Date: ColumnNamed("ts"), Amount: ColumnNamed("spend")}},
		{"typed.bin", ReadOptions{Customer: ColumnNamed("cust"), Date: ColumnNamed("day"), Amount: ColumnNamed("amount_text")}},
	}
	for _, c := range cases {
		got, err := SummarizeFile(filepath.Join(dir, c.file), c.ro, so)
		if err != nil {
			t.Errorf("%s %+v: %v", c.file, c.ro, err)
			continue
		}
		if len(got.Customers) != len(want.Customers) || got.Accounting.RowsUsed != int64(len(rows)) {
			t.Errorf("%s %+v: %d customers, %+v; want %d", c.file, c.ro, len(got.Customers), got.Accounting, len(want.Customers))
			continue
		}
		for i := range want.Customers {
			// Ids: the int64 column drops the zero padding of the CSV.
			w, g := want.Customers[i], got.Customers[i]
			wid, _ := strconv.Atoi(w.ID)
			gid, _ := strconv.Atoi(g.ID)
			w.ID, g.ID = "", ""
			if wid != gid || !summaryClose(g, w, 1e-12) {
				t.Fatalf("%s %+v: customer %d:\n got %+v\nwant %+v", c.file, c.ro, i, got.Customers[i], want.Customers[i])
			}
		}
	}
	in, err := Inspect(filepath.Join(dir, "typed.parquet"), ReadOptions{Customer: ColumnNamed("cust"), Date: ColumnNamed("day"), Amount: ColumnNamed("spend")})
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != FormatParquet || !slices.Equal(in.Columns, []string{"note", "cust", "day", "ts", "cents", "spend", "amount_text"}) ||
		in.Customer != 1 || in.Date != 2 || in.Amount != 5 {
		t.Errorf("inspection %+v", in)
	}
}

// pqBad holds bad rows: an empty id, a null amount, a negative amount and
// an unparseable string date.
type pqBad struct {
	ID     string   `parquet:"customer_id"`
	Date   string   `parquet:"date"`
	Amount *float64 `parquet:"amount,optional"`
	Flag   bool     `parquet:"flag"`
}

// TestParquetBadRows checks the row numbers and columns of bad Parquet
// rows, and the accounting under skip.
func TestParquetBadRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.parquet")
	f := func(v float64) *float64 { return &v }
	writeParquet(t, path, []pqBad{
		{"1", "2024-01-01", f(3), false},
		{"", "2024-01-02", f(3), false},
		{"2", "2024-01-03", nil, false},
		{"3", "2024-01-04", f(-1), false},
		{"4", "2024-02-30", f(1), false},
		{"5", "2024-01-05", f(2), false},
	})
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	want := []struct {
		row    int64
		col    string
		index  int
		reason Reason
	}{
		{2, "customer_id", 1, ReasonMissingID},
		{3, "amount", 3, ReasonBadAmount},
		{4, "amount", 3, ReasonNegative},
		{5, "date", 2, ReasonBadDate},
	}
	_, err := SummarizeFile(path, ReadOptions{}, so)
	var bad *BadRowError
	if !errors.As(err, &bad) || bad.Line != 2 || !bad.RowNumber || bad.Column != "customer_id" || bad.Reason != ReasonMissingID {
		t.Fatalf("got %v", err)
	}
	if !strings.HasPrefix(err.Error(), path+": row 2: column 0 (customer_id): the customer id is empty") {
		t.Errorf("message %q", err.Error())
	}
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	s, err := SummarizeFile(path, ReadOptions{OnBadRow: "skip", RejectsPath: rejects}, so)
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Accounting; a.RowsRead != 6 || a.RowsUsed != 2 || a.RowsRejected != 4 || len(s.Customers) != 2 {
		t.Errorf("accounting %+v, %d customers", a, len(s.Customers))
	}
	b, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1+len(want) {
		t.Fatalf("rejects file:\n%s", b)
	}
	for i, w := range want {
		prefix := path + "," + strconv.FormatInt(w.row, 10) + "," + w.col + "," + string(w.reason) + ","
		if !strings.HasPrefix(lines[i+1], prefix) {
			t.Errorf("rejects line %d: %q, want prefix %q", i+1, lines[i+1], prefix)
		}
	}
	// A column that cannot hold a date, and a missing column.
	if _, err := SummarizeFile(path, ReadOptions{Date: ColumnNamed("flag")}, so); err == nil || !strings.Contains(err.Error(), "cannot hold a date") {
		t.Errorf("a boolean date column: %v", err)
	}
	if _, err := SummarizeFile(path, ReadOptions{Amount: ColumnNamed("price")}, so); err == nil || !strings.Contains(err.Error(), "the columns are: customer_id, date, amount, flag") {
		t.Errorf("a missing column: %v", err)
	}
}

// pqLegacy holds older and rarer column types: an int32 id, an INT96
// timestamp, a fixed-length DECIMAL, a float32 and a UUID. (The UUID is
// written from a [16]byte: parquet-go v0.32.0 writes a string tagged
// "uuid" as the bytes of the Go string header.)
type pqLegacy struct {
	Cust  int32            `parquet:"cust"`
	When  deprecated.Int96 `parquet:"when"`
	Price [16]byte         `parquet:"price,decimal(2:38)"`
	Small float32          `parquet:"small"`
	UID   [16]byte         `parquet:"uid,uuid"`
}

// TestParquetLegacyTypes reads INT96 timestamps (nanoseconds of the day,
// then the Julian day: day 0 of 1970 is Julian day 2440588), fixed-length
// decimals (big-endian two's complement) and UUID ids.
func TestParquetLegacyTypes(t *testing.T) {
	int96 := func(day int64, nanos uint64) deprecated.Int96 {
		return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day + 2440588)}
	}
	dec := func(cents int64) (b [16]byte) {
		for i := 15; i >= 0; i-- {
			b[i] = byte(cents)
			cents >>= 8 // arithmetic shift keeps the sign bytes
		}
		return b
	}
	d0 := dayOf(date(2024, 1, 2))
	uid := "0123abcd-0000-4000-8000-00000000000f"
	uidBytes := [16]byte{0x01, 0x23, 0xab, 0xcd, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x0f}
	path := filepath.Join(t.TempDir(), "legacy.parquet")
	writeParquet(t, path, []pqLegacy{
		{7, int96(d0, 12*3600e9), dec(1999), 1.5, uidBytes},
		{7, int96(d0+3, 23*3600e9), dec(250), 2.25, uidBytes},
		{8, int96(d0+1, 0), dec(-5), 0.5, [16]byte{15: 1}},
	})
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	s, err := SummarizeFile(path, ReadOptions{Customer: ColumnNamed("cust"), Date: ColumnNamed("when"), Amount: ColumnNamed("price"), OnBadRow: "skip"}, so)
	if err != nil {
		t.Fatal(err)
	}
	want := []CustomerSummary{{ID: "7", Frequency: 1, Recency: 3, T: 29, Monetary: 2.5, FirstAmount: 19.99, Weight: 1}}
	if !slices.Equal(s.Customers, want) || s.Accounting.RejectedBy[ReasonNegative] != 1 {
		t.Errorf("got %+v %+v\nwant %+v", s.Customers, s.Accounting, want)
	}
	s, err = SummarizeFile(path, ReadOptions{Customer: ColumnNamed("uid"), Date: ColumnNamed("when"), Amount: ColumnNamed("small")}, so)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Customers) != 2 || s.Customers[1].ID != uid || s.Customers[1].Monetary != 2.25 {
		t.Errorf("got %+v", s.Customers)
	}
}
