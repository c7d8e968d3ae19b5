package datasets

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestDaysFromCivil checks the day arithmetic against the time package on
// every day from 1600 to 2400 and on random days of years 1 to 9999.
func TestDaysFromCivil(t *testing.T) {
	check := func(tm time.Time) {
		y, m, d := tm.Date()
		got, ok := civilDay(int64(y), int64(m), int64(d))
		want := floorDiv(tm.Unix(), 86400)
		if !ok || got != want {
			t.Fatalf("%s: day %d (%v), want %d", tm.Format("2006-01-02"), got, ok, want)
		}
		if back := timeOfDay(got); !back.Equal(tm) {
			t.Fatalf("%s: back to %s", tm, back)
		}
	}
	for tm := date(1600, 1, 1); tm.Year() < 2400; tm = tm.AddDate(0, 0, 1) {
		check(tm)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		check(date(1, 1, 1).AddDate(0, 0, rng.IntN(maxDay-minDay+1)))
	}
	if d, _ := civilDay(1, 1, 1); d != minDay {
		t.Errorf("0001-01-01 is day %d, want %d", d, minDay)
	}
	if d, _ := civilDay(9999, 12, 31); d != maxDay {
		t.Errorf("9999-12-31 is day %d, want %d", d, maxDay)
	}
}

// TestParseDateLayout checks the ready layouts, Go layouts and the dates
// each must refuse. Days are counted from 1970-01-01 (day 0).
func TestParseDateLayout(t *testing.T) {
	d := func(y int, m time.Month, dd int) int64 { return dayOf(date(y, m, dd)) }
	cases := []struct {
		layout, text string
		want         int64
		ok           bool
	}{
		{"iso", "1997-01-01", d(1997, 1, 1), true},
		{"", "2000-02-29", d(2000, 2, 29), true},
		{"iso", "1900-02-29", 0, false}, // 1900 is not a leap year
		{"iso", "1997-02-29", 0, false},
		{"iso", "1997-13-01", 0, false},
		{"iso", "1997-04-31", 0, false},
		{"iso", "0000-01-01", 0, false},
		{"iso", "97-01-01", 0, false},
		{"iso", "1997-1-1", 0, false},
		{"iso", " 1997-01-01", 0, false},
		{"iso", "1997-01-01T00:00:00Z", 0, false},
		{"20060102", "19970930", d(1997, 9, 30), true},
		{"yyyymmdd", "19970931", 0, false},
		{"yyyymmdd", "1997093", 0, false},
		{"rfc3339", "1997-01-01T23:30:00-05:00", d(1997, 1, 2), true}, // 04:30 UTC the next day
		{"rfc3339", "1997-01-02T00:30:00+01:00", d(1997, 1, 1), true}, // 23:30 UTC the day before
		{"rfc3339", "1997-01-01T12:00:00.123456Z", d(1997, 1, 1), true},
		{"rfc3339", "1997-01-01", 0, false},
		{"unix", "0", 0, true},
		{"unix", "86399", 0, true},
		{"unix", "86400", 1, true},
		{"unix", "-1", -1, true},
		{"unix", "-0.5", -1, true},
		{"unix", "86400.9", 1, true},
		{"unix", "1e20", 0, false},
		{"unix", "abc", 0, false},
		{"02/01/2006", "31/12/1999", d(1999, 12, 31), true},
		{"01/02/2006", "12/31/1999", d(1999, 12, 31), true},
		{"Jan 2, 2006", "Feb 3, 2001", d(2001, 2, 3), true},
		{"2006-01-02 15:04:05", "2001-02-03 23:59:59", d(2001, 2, 3), true},
		{"2006-01-02 15:04:05 -0700", "2001-02-03 23:59:59 -0100", d(2001, 2, 4), true},
	}
	for _, c := range cases {
		parse, err := ParseDateLayout(c.layout)
		if err != nil {
			t.Errorf("layout %q: %v", c.layout, err)
			continue
		}
		got, err := parse(c.text)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("layout %q, %q: got %d (%v), want %d (ok %v)", c.layout, c.text, got, err, c.want, c.ok)
		}
		// A second parse of the same text (the cache for Go layouts).
		if again, err2 := parse(c.text); again != got || (err2 == nil) != (err == nil) {
			t.Errorf("layout %q, %q: a second parse gives %d (%v)", c.layout, c.text, again, err2)
		}
	}
	for _, bad := range []string{"dd/mm/yyyy", "15:04", "2006", "January 2", "nonsense"} {
		if _, err := ParseDateLayout(bad); err == nil || !strings.Contains(err.Error(), "does not name a year, a month and a day") {
			t.Errorf("layout %q: got %v, want an error", bad, err)
		}
	}
}

// TestDateHints checks that a date in another common layout gets a hint.
func TestDateHints(t *testing.T) {
	for _, c := range []struct{ layout, text, hint string }{
		{"iso", "1997-01-01T10:00:00Z", "date format rfc3339"},
		{"iso", "19970101", "date format 20060102"},
		{"20060102", "1997-01-01", "date format iso"},
		{"iso", "", "the date is empty"},
	} {
		p, err := newDateParser(c.layout)
		if err != nil {
			t.Fatal(err)
		}
		if msg := p.describe([]byte(c.text)); !strings.Contains(msg, c.hint) {
			t.Errorf("%s %q: %q lacks %q", c.layout, c.text, msg, c.hint)
		}
	}
}
