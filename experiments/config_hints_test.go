package experiments

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// TestConfigHint checks that the errors of a config run name config keys,
// never flags, and keep their typed causes.
func TestConfigHint(t *testing.T) {
	so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	read := func(log string, ro datasets.ReadOptions) error {
		_, err := datasets.Summarize(strings.NewReader(log), "log.csv", ro, so)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"bad date", read("customer_id,date\na,01/02/2024\n", datasets.ReadOptions{}), "in the config, set data.date_format, or data.on_bad_row: skip"},
		{"bad amount", read("customer_id,date,amount\na,2024-01-02,x\n", datasets.ReadOptions{}), "in the config, set data.amount, or data.on_bad_row: skip"},
		{"field count", read("customer_id,date\na,2024-01-02,x\n", datasets.ReadOptions{}), "in the config, set data.on_bad_row: skip"},
		{"missing column", read("id,date\na,2024-01-02\n", datasets.ReadOptions{Customer: datasets.ColumnNamed("cust")}), "in the config, set data.customer"},
		{"no option", errors.New("plain"), ""},
		{"runaway fit", fmt.Errorf("bgnbd: %w", &models.IdentificationError{Model: "bgnbd", Reason: models.NoRepeatPurchases, Customers: 1, Option: models.OptionPenalty}), "in the config, set fit.penalty"},
	} {
		if got := ConfigHint(tc.err); got != tc.want {
			t.Errorf("%s: hint %q, want %q (error %v)", tc.name, got, tc.want, tc.err)
		}
		h := WithConfigHint(tc.err)
		if strings.Contains(h.Error(), "--") {
			t.Errorf("%s: %q names a flag", tc.name, h)
		}
		if tc.want != "" && (!strings.HasSuffix(h.Error(), "("+tc.want+")") || !errors.Is(h, tc.err)) {
			t.Errorf("%s: %q does not end with the hint or lost its cause", tc.name, h)
		}
	}
	var be *datasets.BadRowError
	if err := WithConfigHint(read("customer_id,date\na,x\n", datasets.ReadOptions{})); !errors.As(err, &be) || be.Line != 2 || be.ColumnIndex != 1 {
		t.Errorf("typed cause: %v", err)
	}
}

// TestConfigKeys checks that every option but the window's start (which a
// config never sets) has a config key that the schema knows.
func TestConfigKeys(t *testing.T) {
	leaves, _ := cfgSchemaKeys()
	known := map[string]bool{}
	for _, l := range leaves {
		known[l.key] = true
	}
	for _, o := range []datasets.Option{datasets.OptionCustomer, datasets.OptionDate, datasets.OptionAmount, datasets.OptionHeader,
		datasets.OptionDateFormat, datasets.OptionOnBadRow, datasets.OptionCalibrationEnd, datasets.OptionHoldoutEnd} {
		if k := ConfigKey(string(o)); !known[k] {
			t.Errorf("option %s: config key %q is not in the schema", o, k)
		}
	}
	if k := ConfigKey(models.OptionPenalty); !known[k] {
		t.Errorf("option %s: config key %q", models.OptionPenalty, k)
	}
}
