package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Config is an experiment: which data to read, how to split it into
// calibration and holdout windows, which models to fit and score, how to
// value customers, which quality gates to enforce and where to write the
// results. It is read from a YAML, TOML or JSON file by Load; configs/README.md
// is the reference of every key, with its type, default and allowed values.
//
// The exported fields hold the values as written in the file (after
// defaults, environment and --set overrides). Validate checks them and
// fills Resolved with the values the runner works with: parsed dates and
// units, absolute paths, column selectors and the spend model chosen.
type Config struct {
	// Name names the results folder: results/<name>/<time>-<hash>. It
	// matches [A-Za-z0-9._-]+; the default is the config file's name
	// without its extension.
	Name string `mapstructure:"name" json:"name"`
	// Seed seeds every random choice of the run (default 1).
	Seed int64 `mapstructure:"seed" json:"seed"`
	// Data says where the transaction log is and how to read it.
	Data DataConfig `mapstructure:"data" json:"data"`
	// Split sets the time unit and the calibration and holdout windows.
	Split SplitConfig `mapstructure:"split" json:"split"`
	// Survival, when given, makes the config a contractual experiment: its
	// data are a cohort's survivor counts instead of a transaction log, its
	// model is sbg, and data and split are left out (see SurvivalConfig).
	Survival *SurvivalConfig `mapstructure:"survival" json:"survival,omitempty"`
	// Models lists the purchase models to fit and score, in report order:
	// average, retention, hiatus, bgnbd, paretonbd, mbgnbd (all six by
	// default). Non-empty, no duplicates. A contractual config (one with a
	// survival section) runs sbg alone, its default.
	Models []string `mapstructure:"models" json:"models"`
	// SpendModel is gammagamma, average, none or auto (the default: gammagamma
	// when the data has amounts, none otherwise).
	SpendModel string `mapstructure:"spend_model" json:"spend_model"`
	// CLV sets how predicted purchases become money.
	CLV CLVConfig `mapstructure:"clv" json:"clv"`
	// Segments sets the groups of the lift table.
	Segments SegmentsConfig `mapstructure:"segments" json:"segments"`
	// Fit tunes maximum-likelihood fitting.
	Fit FitConfig `mapstructure:"fit" json:"fit"`
	// Retention tunes the retention heuristic.
	Retention RetentionConfig `mapstructure:"retention" json:"retention"`
	// Hiatus tunes the hiatus heuristic.
	Hiatus HiatusConfig `mapstructure:"hiatus" json:"hiatus"`
	// Expect lists the quality gates (CI checks) on the main window's
	// scores. Each metric is a path model.target.metric, e.g.
	// bgnbd.holdout.mae, where model is one of Models, target is holdout
	// (purchases) or holdout_revenue (revenue, needs a spend model) and
	// metric one of MetricNames; at least one of min and max is given. In a
	// contractual config the target is survival (the projected periods) or
	// calibration (the fitted ones) and the metric one of
	// SurvivalMetricNames, e.g. sbg.survival.mape.
	Expect []Gate `mapstructure:"expect" json:"expect"`
	// Output says where and what to write.
	Output OutputConfig `mapstructure:"output" json:"output"`

	// File is the config file as given to Load ("" for a Config built in
	// code, whose relative paths then start from the working directory).
	File string `mapstructure:"-" json:"-"`
	// Overrides are the --set overrides Load applied, as given.
	Overrides []string `mapstructure:"-" json:"-"`
	// Resolved holds what Validate derived from the fields above.
	Resolved ResolvedConfig `mapstructure:"-" json:"-"`

	validated bool
}

// DataConfig locates and describes the transaction log: one row per
// purchase with a customer id, a date and optionally an amount.
type DataConfig struct {
	// Path is the transaction log file, relative to the config file's
	// folder unless absolute. Exactly one of Path and Embedded is set.
	Path string `mapstructure:"path" json:"path"`
	// Embedded names a data set built into the binary: quickstart.
	Embedded string `mapstructure:"embedded" json:"embedded"`
	// Format is auto (by the file's extension), csv, tsv, whitespace or parquet.
	Format string `mapstructure:"format" json:"format"`
	// Header is auto, yes or no: whether the first row names the columns.
	Header string `mapstructure:"header" json:"header"`
	// Customer, Date and Amount select columns, by header name or by
	// 0-based index (a number). Amount may be "none" (count-only data);
	// empty means none for a file and the data set's own amounts for
	// embedded data.
	Customer string `mapstructure:"customer" json:"customer"`
	Date     string `mapstructure:"date" json:"date"`
	Amount   string `mapstructure:"amount" json:"amount"`
	// DateFormat is a Go time layout (such as 02/01/2006) or one of iso
	// (2006-01-02, the default), 20060102, rfc3339 and unix (seconds).
	DateFormat string `mapstructure:"date_format" json:"date_format"`
	// OnBadRow is fail (the default: stop at the first bad row) or skip
	// (count and set aside bad rows).
	OnBadRow string `mapstructure:"on_bad_row" json:"on_bad_row"`
	// Rejects is where skipped rows are written (only with on_bad_row:
	// skip); empty means rejects.csv inside the run's results folder.
	Rejects string `mapstructure:"rejects" json:"rejects"`
}

// SplitConfig sets the time unit and the backtest windows. Dates are
// written YYYY-MM-DD and are inclusive: the calibration window holds the
// purchases up to and including CalibrationEnd, the holdout window those
// after it up to and including HoldoutEnd.
type SplitConfig struct {
	// Unit is the time unit of recency, T, horizons and hiatus lengths:
	// day, week (the default), month (365.25/12 days), year (365.25 days)
	// or Nd (N days, e.g. 14d).
	Unit           string `mapstructure:"unit" json:"unit"`
	CalibrationEnd string `mapstructure:"calibration_end" json:"calibration_end"`
	HoldoutEnd     string `mapstructure:"holdout_end" json:"holdout_end"`
	// Origins are extra calibration ends for a rolling backtest, sorted,
	// distinct and before CalibrationEnd. Each origin's holdout has the
	// main holdout's length, so it ends by HoldoutEnd.
	Origins []string `mapstructure:"origins" json:"origins"`
}

// SurvivalConfig describes the data of a contractual experiment: one
// cohort's survivor counts n_0 ≥ n_1 ≥ … ≥ n_m, n_t the customers still
// subscribed at the start of period t (n_0 the cohort size), read by
// datasets.ReadSurvivalCSV. The sBG model is fitted on periods
// 0…CalibrationPeriods and its projection scored on the later periods.
type SurvivalConfig struct {
	// Path is the CSV of period, customers still active, relative to the
	// config file's folder unless absolute. Required.
	Path string `mapstructure:"path" json:"path"`
	// CalibrationPeriods is c, the last period fitted on, ≥ 2 (the sBG's
	// two parameters need two renewal rates); periods c+1 … m are the
	// holdout. c = m fits on every period and leaves no holdout. Required.
	CalibrationPeriods int `mapstructure:"calibration_periods" json:"calibration_periods"`
	// Period is the length of one period, a unit like split.unit (default
	// year); clv.discount_rate is converted to it.
	Period string `mapstructure:"period" json:"period"`
}

// CLVConfig sets how expected purchases and spend become customer value.
type CLVConfig struct {
	// Horizon is how far ahead value is counted, in split units, > 0; 0
	// (the default) means one year (52.18 weeks, 12 months, 365.25 days).
	Horizon float64 `mapstructure:"horizon" json:"horizon"`
	// DiscountRate is the discount rate per year, 0 ≤ d < 10 (default
	// 0.10); it is converted to the split unit as (1+d)^(unit/year) − 1.
	DiscountRate float64 `mapstructure:"discount_rate" json:"discount_rate"`
	// Margin multiplies revenue into profit, 0 < margin ≤ 1e6 (default 1).
	Margin float64 `mapstructure:"margin" json:"margin"`
}

// SegmentsConfig sets the lift table.
type SegmentsConfig struct {
	// Groups is the number of groups customers are ranked into by predicted
	// value, 1..1000 (default 10, deciles).
	Groups int `mapstructure:"groups" json:"groups"`
}

// FitConfig tunes maximum-likelihood fitting (see models.FitOptions).
type FitConfig struct {
	// Penalty is the weight of an L2 penalty on the log parameters,
	// 0 ≤ penalty ≤ 1e6 (default 0: none).
	Penalty float64 `mapstructure:"penalty" json:"penalty"`
	// MaxIterations caps the optimizer's iterations, 1..1e6 (default 1000).
	MaxIterations int `mapstructure:"max_iterations" json:"max_iterations"`
}

// RetentionConfig tunes the retention heuristic.
type RetentionConfig struct {
	// Period is the activity period whose repeat rate the model uses, a
	// unit like split.unit (default month).
	Period string `mapstructure:"period" json:"period"`
}

// HiatusConfig tunes the hiatus heuristic.
type HiatusConfig struct {
	// H is the hiatus length in split units after which a customer counts
	// as gone, ≥ 0; 0 (the default) derives it from the data.
	H float64 `mapstructure:"h" json:"h"`
}

// OutputConfig says where the results go and what is written.
type OutputConfig struct {
	// Dir is the results root, relative to the config file's folder unless
	// absolute; empty (the default) means results/ in the working
	// directory.
	Dir string `mapstructure:"dir" json:"dir"`
	// Plots and Report switch the plots and the report on (default true).
	Plots  bool `mapstructure:"plots" json:"plots"`
	Report bool `mapstructure:"report" json:"report"`
}

// ResolvedConfig holds the values Validate derives from a Config: what the
// runner works with.
type ResolvedConfig struct {
	// ConfigFile is the absolute path of the config file ("" without one)
	// and BaseDir the folder relative paths start from.
	ConfigFile string
	BaseDir    string
	// DataPath is the absolute path of the transaction log ("" for embedded
	// data), RejectsPath that of the rejects file ("" means the default
	// inside the results folder) and OutputDir that of the results root.
	DataPath    string
	RejectsPath string
	OutputDir   string
	// SurvivalPath is the absolute path of survival.path ("" without a
	// survival section).
	SurvivalPath string
	// Format (auto, csv, tsv, whitespace, parquet) and Header (auto, yes,
	// no) in canonical spelling; for embedded data, csv and yes.
	Format string
	Header string
	// Customer, Date and Amount are the column selectors (for embedded
	// data: customer_id, date and amount); Amount is meaningful only when
	// HasAmount.
	Customer  Column
	Date      Column
	Amount    Column
	HasAmount bool
	// DateLayout is the Go time layout of the date column, or "unix".
	DateLayout string
	// Unit is the split's time unit; in a contractual config, the length
	// of one survival period (survival.period).
	Unit datasets.Unit
	// CalibrationEnd and HoldoutEnd are the main window's dates (midnight
	// UTC of the inclusive last day); Origins the extra calibration ends.
	CalibrationEnd time.Time
	HoldoutEnd     time.Time
	Origins        []time.Time
	// HoldoutDays is the main holdout's length in days, shared by every
	// origin's holdout.
	HoldoutDays int
	// Windows lists every backtest window: the origins in order, then the
	// main window (Main true) last.
	Windows []BacktestWindow
	// SpendModel is gammagamma, average or none (auto resolved).
	SpendModel string
	// Horizon is the CLV horizon in split units (the default filled in);
	// 0 in a contractual config, which values whole lifetimes.
	Horizon float64
	// DiscountRatePerUnit is clv.discount_rate converted from a year to one
	// split unit (one survival period in a contractual config):
	// (1 + d)^(unit days / 365.25) − 1.
	DiscountRatePerUnit float64
	// RetentionPeriod is the retention heuristic's activity period.
	RetentionPeriod datasets.Unit
}

// BacktestWindow is one calibration/holdout split of a backtest: the model
// is fitted on purchases up to CalibrationEnd (inclusive) and scored on
// those in (CalibrationEnd, HoldoutEnd].
type BacktestWindow struct {
	CalibrationEnd time.Time
	HoldoutEnd     time.Time
	// Main is true for the window of split.calibration_end, the one gates
	// and the report are about.
	Main bool
}

// Column selects an input column by header name or by 0-based index. The
// value with no name and index -1 selects nothing.
type Column struct {
	Name  string // header name; "" when selected by index
	Index int    // 0-based index; -1 when selected by name
}

// ByIndex reports whether the column is selected by its position.
func (c Column) ByIndex() bool { return c.Index >= 0 }

// String returns the name, or the index as "#i".
func (c Column) String() string {
	if c.ByIndex() {
		return "#" + strconv.Itoa(c.Index)
	}
	return c.Name
}

// Problem is one thing wrong with a config: the key it concerns ("" for
// the file as a whole) and a message that names the key.
type Problem struct {
	Key     string
	Message string
}

// ConfigError reports every problem found in a config at once. Callers
// detect it with errors.As; the clv command exits with code 2 on it.
type ConfigError struct {
	File     string // the config file as given ("" for a Config built in code)
	Problems []Problem
}

// Error lists the problems one a line, each prefixed with the file.
func (e *ConfigError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// ExitCode is the exit status of the clv command for a config error: 2.
func (e *ConfigError) ExitCode() int { return 2 }

// Unwrap returns each problem as an error, as errors.Join would.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = errors.New(p.Message)
	}
	return errs
}

// Names known to a config.
var (
	// cfgRunModels are the models a run config runs by default: the
	// purchase models that fit on the continuous-time summary (BG/BB
	// needs discrete periods and is run when listed).
	cfgRunModels   = models.NewRegistry().NamesFitting(models.DataContinuous, models.DataActivity)
	cfgSpendModels = append(models.NewRegistry().Names(models.KindSpend), "none", "auto")
	cfgFormats     = []string{"auto", "csv", "tsv", "whitespace", "parquet"}
	cfgHeaders     = []string{"auto", "yes", "no"}
	cfgOnBadRows   = []string{"fail", "skip"}
	cfgGateTargets = []string{"holdout", "holdout_revenue"}
	// cfgSurvivalModels are the models of a contractual config (one with a
	// survival section), and cfgSurvivalGateTargets its gate targets.
	cfgSurvivalModels      = models.NewRegistry().Names(models.KindContractual)
	cfgSurvivalGateTargets = []string{TargetSurvival, TargetSurvivalCalibration}
	// cfgDateFormats are the layout names datasets.ParseDateLayout knows.
	cfgDateFormats = map[string]string{"": "2006-01-02", "iso": "2006-01-02", "yyyy-mm-dd": "2006-01-02",
		"20060102": "20060102", "yyyymmdd": "20060102", "rfc3339": time.RFC3339, "unix": "unix"}
	cfgNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// configDefaults holds the default of every key. The two dates have none:
// they are required, and their empty default only makes the key known. The
// keys of the survival section have no default at all (nil): the section
// exists only when a config gives it, and Validate fills in survival.period.
var configDefaults = []struct {
	key   string
	value any
}{
	{"name", ""},
	{"seed", 1},
	{"data.path", ""},
	{"data.embedded", ""},
	{"data.format", "auto"},
	{"data.header", "auto"},
	{"data.customer", ""},
	{"data.date", ""},
	{"data.amount", ""},
	{"data.date_format", "iso"},
	{"data.on_bad_row", "fail"},
	{"data.rejects", ""},
	{"split.unit", "week"},
	{"split.calibration_end", ""},
	{"split.holdout_end", ""},
	{"split.origins", []string{}},
	{"survival.path", nil},
	{"survival.calibration_periods", nil},
	{"survival.period", nil},
	{"models", slices.Clone(cfgRunModels)},
	{"spend_model", "auto"},
	{"clv.horizon", 0},
	{"clv.discount_rate", 0.10},
	{"clv.margin", 1.0},
	{"segments.groups", 10},
	{"fit.penalty", 0.0},
	{"fit.max_iterations", 1000},
	{"retention.period", "month"},
	{"hiatus.h", 0.0},
	{"expect", []any{}},
	{"output.dir", ""},
	{"output.plots", true},
	{"output.report", true},
}

// EnvPrefix is the prefix of environment overrides: CLV_SPLIT_UNIT=month
// sets split.unit.
const EnvPrefix = "CLV"

// LoadOptions tunes LoadWith.
type LoadOptions struct {
	// Overrides are --set key=value pairs, applied over the file and the
	// environment.
	Overrides []string
	// SkipFileChecks leaves out the check that data.path exists (for
	// checking a config on a machine without its data).
	SkipFileChecks bool
}

// Load reads the config file at path (YAML, TOML or JSON, by its
// extension .yaml, .yml, .toml or .json), fills in defaults, applies
// CLV_-prefixed environment variables and then the --set overrides
// ("key=value", dotted keys), decodes it strictly (an unknown key is an
// error) and validates it, checking that data.path exists.
//
// Every problem found is reported at once in a *ConfigError.
func Load(path string, overrides []string) (*Config, error) {
	return LoadWith(path, LoadOptions{Overrides: overrides})
}

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Config, error) {
	fail := func(format string, args ...any) error {
		return &ConfigError{File: path, Problems: []Problem{{Message: fmt.Sprintf(format, args...)}}}
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	typ, ok := map[string]string{"yaml": "yaml", "yml": "yaml", "toml": "toml", "json": "json"}[ext]
	if !ok {
		return nil, fail("unsupported config file extension %q: use .yaml, .yml, .toml or .json", filepath.Ext(path))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fail("cannot read the config file: %v", err)
	}

	v := viper.New()
	v.SetConfigType(typ)
	for _, d := range configDefaults {
		if d.value != nil {
			v.SetDefault(d.key, d.value)
		}
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	leaves, _ := cfgSchemaKeys()
	for _, k := range leaves {
		if k.key == "expect" {
			continue // a list of tables: not expressible as one variable
		}
		if err := v.BindEnv(k.key); err != nil {
			return nil, fmt.Errorf("binding %s to the environment: %w", k.key, err)
		}
	}
	if err := v.ReadConfig(bytes.NewReader(raw)); err != nil {
		return nil, fail("cannot parse the config as %s: %v", strings.ToUpper(typ), err)
	}

	var ps cfgProblems
	for _, s := range o.Overrides {
		key, value, err := cfgParseOverride(s)
		if err != nil {
			ps.add("--set", "%v", err)
			continue
		}
		v.Set(key, value)
	}

	// A contractual config runs sbg unless it names its models.
	_, survival := v.AllSettings()["survival"]
	survival = survival || v.InConfig("survival") // also an empty section
	if survival {
		v.SetDefault("models", slices.Clone(cfgSurvivalModels))
	}

	var c Config
	err = v.UnmarshalExact(&c, viper.DecodeHook(configDecodeHook), func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = false // conversions are done, strictly, by configDecodeHook
	})
	if err != nil {
		cfgDecodeProblems(err, &ps)
	}
	c.File = path
	c.Overrides = slices.Clone(o.Overrides)
	if c.Survival == nil && survival {
		c.Survival = &SurvivalConfig{} // survival: {} is a contractual config missing its keys
	}

	// Validate what decoded, but leave out what a decoding problem already
	// reported, so one mistake gives one message.
	if err := c.validate(!o.SkipFileChecks); err != nil {
		var ce *ConfigError
		if !errors.As(err, &ce) {
			return nil, err
		}
		for _, p := range ce.Problems {
			if !ps.covers(p.Key) {
				ps.list = append(ps.list, p)
			}
		}
	}
	if c.Survival != nil {
		// A data or split section written in the file is refused even when
		// it holds only default values (Validate sees only values).
		for _, sec := range []string{"data", "split"} {
			if v.InConfig(sec) && !ps.covers(sec) {
				ps.add(sec, "%s", cfgSurvivalConflict(sec, nil))
			}
		}
	}
	if len(ps.list) > 0 {
		return nil, &ConfigError{File: path, Problems: ps.list}
	}
	return &c, nil
}

// cfgParseOverride splits a --set "key=value" and checks the key.
func cfgParseOverride(s string) (key string, value any, err error) {
	k, val, ok := strings.Cut(s, "=")
	if !ok {
		return "", nil, fmt.Errorf("%q is not key=value", s)
	}
	key = strings.ToLower(strings.TrimSpace(k))
	val = strings.TrimSpace(val)
	leaves, sections := cfgSchemaKeys()
	for _, l := range leaves {
		if l.key != key {
			continue
		}
		if key == "expect" { // a YAML flow list: [{metric: m, max: 1}]
			sub := viper.New()
			sub.SetConfigType("yaml")
			if err := sub.ReadConfig(strings.NewReader("v: " + val)); err != nil {
				return "", nil, fmt.Errorf("%s: cannot read %q as a YAML list of gates: %v", s, val, err)
			}
			return key, sub.Get("v"), nil
		}
		return key, val, nil
	}
	if slices.Contains(sections, key) {
		var sub []string
		for _, l := range leaves {
			if strings.HasPrefix(l.key, key+".") {
				sub = append(sub, l.key)
			}
		}
		return "", nil, fmt.Errorf("%s: %s is a section; set one of its keys: %s", s, key, strings.Join(sub, ", "))
	}
	return "", nil, fmt.Errorf("%s: unknown key %s%s", s, key, cfgSuggest(key))
}

// Validate checks the config and fills c.Resolved. It reports every
// problem at once in a *ConfigError whose messages name the file and the
// key. Relative paths start from the config file's folder (from the working
// directory when c.File is empty); data.path must exist.
func (c *Config) Validate() error { return c.validate(true) }

func (c *Config) validate(checkFiles bool) error {
	var ps cfgProblems
	none := Column{Index: -1} // a column not (yet) selected: neither a name nor an index
	r := ResolvedConfig{Customer: none, Date: none, Amount: none}
	c.validated = false

	base := "."
	if c.File != "" {
		base = filepath.Dir(c.File)
		if abs, err := filepath.Abs(c.File); err == nil {
			r.ConfigFile = abs
		}
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	r.BaseDir = base
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}

	// name
	if c.Name == "" && c.File != "" {
		c.Name = strings.TrimSuffix(filepath.Base(c.File), filepath.Ext(c.File))
		if !cfgNamePattern.MatchString(c.Name) {
			ps.add("name", "is not set and the file name %q does not make a folder name: set name to letters, digits, '.', '_' and '-'", c.Name)
		}
	} else if c.Name == "" {
		ps.add("name", "is required")
	} else if !cfgNamePattern.MatchString(c.Name) || c.Name == "." || c.Name == ".." || len(c.Name) > 100 {
		ps.add("name", "%q must be 1 to 100 letters, digits, '.', '_' or '-' (and not . or ..): it names the results folder", c.Name)
	}

	contractual := c.Survival != nil
	if contractual {
		c.validateSurvival(&ps, &r, resolve, checkFiles)
	} else {
		c.validateData(&ps, &r, resolve, checkFiles)
		c.validateSplit(&ps, &r)
	}

	// models
	c.validateModels(&ps, &r, models.NewRegistry(), contractual)

	// spend model
	switch c.SpendModel {
	case "gammagamma", "average":
		if contractual {
			ps.add("spend_model", "%s needs a transaction log with amounts, but this config has a survival section: a contractual experiment values customers by clv.margin per period; leave spend_model out or set it to none", c.SpendModel)
			break
		}
		r.SpendModel = c.SpendModel
		if !r.HasAmount && (c.Data.Path != "" || c.Data.Embedded != "") {
			ps.add("spend_model", "%s needs amounts but data.amount is %s: name the amount column in data.amount, or set spend_model: none", c.SpendModel, cfgOrQuoted(c.Data.Amount, "not set"))
		}
	case "auto", "":
		r.SpendModel = "none"
		if r.HasAmount {
			r.SpendModel = "gammagamma"
		}
	case "none":
		r.SpendModel = "none"
	default:
		ps.add("spend_model", "%q is not one of %s", c.SpendModel, strings.Join(cfgSpendModels, ", "))
	}

	// clv
	if r.Unit.Days() > 0 {
		r.Horizon = c.CLV.Horizon
		if c.CLV.Horizon == 0 {
			r.Horizon = 365.25 / r.Unit.Days()
		}
		r.DiscountRatePerUnit = math.Expm1(math.Log1p(c.CLV.DiscountRate) * r.Unit.Days() / 365.25) // as models.PerUnitDiscountRate
	}
	switch h := c.CLV.Horizon; {
	case contractual:
		r.Horizon = 0
		if h != 0 {
			ps.add("clv.horizon", "%v is set, but a contractual experiment (survival section) values a customer's whole remaining lifetime, discounted (DEL, DERL): leave clv.horizon out", h)
		}
	case !cfgFinite(h) || h < 0:
		ps.add("clv.horizon", "%v must be > 0 (in split.unit; 0 or absent means one year)", h)
	case r.Unit.Days() > 0 && h*r.Unit.Days() > 100*365.25:
		ps.add("clv.horizon", "%v %s is more than 100 years", h, r.Unit.Name)
	}
	if d := c.CLV.DiscountRate; !cfgFinite(d) || d < 0 || d >= 10 {
		ps.add("clv.discount_rate", "%v must be a yearly rate ≥ 0 and < 10 (0.10 is 10%% a year)", d)
	}
	if m := c.CLV.Margin; !cfgFinite(m) || m <= 0 || m > 1e6 {
		ps.add("clv.margin", "%v must be > 0 and ≤ 1e6 (1 values revenue)", m)
	}

	if g := c.Segments.Groups; g < 1 || g > 1000 {
		ps.add("segments.groups", "%d must be between 1 and 1000", g)
	}
	if p := c.Fit.Penalty; !cfgFinite(p) || p < 0 || p > 1e6 {
		ps.add("fit.penalty", "%v must be ≥ 0 and ≤ 1e6", p)
	}
	if n := c.Fit.MaxIterations; n < 1 || n > 1_000_000 {
		ps.add("fit.max_iterations", "%d must be between 1 and 1000000", n)
	}
	if u, err := datasets.ParseUnit(c.Retention.Period); err != nil {
		ps.add("retention.period", "%q is not a time unit: use day, week, month, year or a number of days such as 14d", c.Retention.Period)
	} else {
		r.RetentionPeriod = u
	}
	if h := c.Hiatus.H; !cfgFinite(h) || h < 0 {
		ps.add("hiatus.h", "%v must be ≥ 0 (in split.unit; 0 derives it from the data)", h)
	}

	c.validateGates(&ps, &r)

	r.OutputDir = resolve(c.Output.Dir)
	if c.Output.Dir == "" {
		if wd, err := os.Getwd(); err == nil {
			r.OutputDir = filepath.Join(wd, "results")
		} else {
			r.OutputDir = "results"
		}
	}

	c.Resolved = r
	if len(ps.list) > 0 {
		return &ConfigError{File: c.File, Problems: ps.list}
	}
	c.validated = true
	return nil
}

func (c *Config) validateData(ps *cfgProblems, r *ResolvedConfig, resolve func(string) string, checkFiles bool) {
	d := c.Data
	switch {
	case d.Path != "" && d.Embedded != "":
		ps.add("data.path", "and data.embedded are both set: give exactly one (--set data.path= clears the path)")
	case d.Path == "" && d.Embedded == "":
		ps.add("data.path", "is not set: give data.path (a transaction log file) or data.embedded (one of %s)", strings.Join(datasets.EmbeddedNames(), ", "))
	}

	r.Format = strings.ToLower(d.Format)
	if !slices.Contains(cfgFormats, r.Format) {
		ps.add("data.format", "%q is not one of %s", d.Format, strings.Join(cfgFormats, ", "))
	}
	r.Header = strings.ToLower(d.Header)
	switch r.Header {
	case "true":
		r.Header = "yes"
	case "false":
		r.Header = "no"
	}
	if !slices.Contains(cfgHeaders, r.Header) {
		ps.add("data.header", "%q is not one of %s", d.Header, strings.Join(cfgHeaders, ", "))
	}
	if r.Format == "parquet" && r.Header == "no" {
		ps.add("data.header", "is no, but parquet files always name their columns: leave data.header at auto")
	}
	r.DateLayout = ""
	// The reader's own parser decides what a valid layout is.
	if _, err := datasets.ParseDateLayout(d.DateFormat); err == nil {
		r.DateLayout = d.DateFormat
		if l, ok := cfgDateFormats[strings.ToLower(strings.TrimSpace(d.DateFormat))]; ok {
			r.DateLayout = l
		}
	} else {
		ps.add("data.date_format", "%q is neither one of iso, 20060102, rfc3339, unix nor a Go time layout with year, month and day (write the date 2006-01-02 as your file does, e.g. 02/01/2006)", d.DateFormat)
	}
	switch strings.ToLower(d.OnBadRow) {
	case "fail", "skip":
	default:
		ps.add("data.on_bad_row", "%q is not one of %s", d.OnBadRow, strings.Join(cfgOnBadRows, ", "))
	}
	if d.Rejects != "" {
		if strings.ToLower(d.OnBadRow) != "skip" {
			ps.add("data.rejects", "is set but data.on_bad_row is %s: rows are only rejected with on_bad_row: skip", cfgOrQuoted(d.OnBadRow, "empty"))
		}
		r.RejectsPath = resolve(d.Rejects)
	}

	if d.Embedded != "" {
		// Every embedded set is a CSV log with customer_id, date and amount.
		ok := slices.Contains(datasets.EmbeddedNames(), d.Embedded)
		if !ok {
			ps.add("data.embedded", "%q is not a built-in data set: choose among %s", d.Embedded, strings.Join(datasets.EmbeddedNames(), ", "))
		}
		for _, f := range []struct{ key, val, def string }{
			{"data.customer", d.Customer, ""}, {"data.date", d.Date, ""},
			{"data.format", d.Format, "auto"}, {"data.header", d.Header, "auto"}, {"data.date_format", d.DateFormat, "iso"},
		} {
			if v := strings.ToLower(f.val); v != f.def && v != "" {
				ps.add(f.key, "%q is set, but embedded data has a fixed layout: leave it out with data.embedded", f.val)
			}
		}
		// The layout datasets.Embedded documents: CSV with a header
		// customer_id,date,amount and ISO dates.
		r.Format, r.Header, r.DateLayout = "csv", "yes", time.DateOnly
		r.Customer = Column{Name: "customer_id", Index: -1}
		r.Date = Column{Name: "date", Index: -1}
		if ok && strings.ToLower(d.Amount) != "none" {
			r.Amount, r.HasAmount = Column{Name: "amount", Index: -1}, true
		}
		return
	}
	if d.Path == "" {
		return
	}

	r.DataPath = resolve(d.Path)
	if checkFiles {
		if st, err := os.Stat(r.DataPath); err != nil {
			ps.add("data.path", "%s: no such file (looked for %s; a relative path starts from the config file's folder %s): fix the path or pass --set data.path=FILE", d.Path, r.DataPath, r.BaseDir)
		} else if st.IsDir() {
			ps.add("data.path", "%s is a folder, not a file (resolved to %s)", d.Path, r.DataPath)
		}
	}

	byName := r.Header != "no"
	col := func(key, val string, required bool) (Column, bool) {
		if val == "" {
			if required {
				ps.add(key, "is required with data.path: give the column's header name or its 0-based index")
			}
			return Column{Index: -1}, false
		}
		cl, err := parseConfigColumn(val)
		if err != nil {
			ps.add(key, "%q: %v", val, err)
			return Column{Index: -1}, false
		}
		if !cl.ByIndex() && !byName {
			ps.add(key, "%q is a column name, but data.header is no: give the column's 0-based index", val)
		}
		return cl, true
	}
	var okC, okD bool
	r.Customer, okC = col("data.customer", d.Customer, true)
	r.Date, okD = col("data.date", d.Date, true)
	if okC && okD && r.Customer == r.Date {
		ps.add("data.date", "selects the same column as data.customer (%s)", r.Customer)
	}
	if a := strings.ToLower(d.Amount); a != "" && a != "none" {
		var okA bool
		r.Amount, okA = col("data.amount", d.Amount, false)
		r.HasAmount = okA
		if okA && ((okC && r.Amount == r.Customer) || (okD && r.Amount == r.Date)) {
			ps.add("data.amount", "selects the same column as data.customer or data.date (%s)", r.Amount)
		}
	}
}

func (c *Config) validateSplit(ps *cfgProblems, r *ResolvedConfig) {
	s := c.Split
	if u, err := datasets.ParseUnit(s.Unit); err != nil {
		ps.add("split.unit", "%q is not a time unit: use day, week, month, year or a number of days such as 14d", s.Unit)
	} else {
		r.Unit = u
	}
	calOK, holdOK := false, false
	r.CalibrationEnd, calOK = parseConfigDate(ps, "split.calibration_end", s.CalibrationEnd, true)
	r.HoldoutEnd, holdOK = parseConfigDate(ps, "split.holdout_end", s.HoldoutEnd, true)
	if calOK && holdOK && !r.HoldoutEnd.After(r.CalibrationEnd) {
		rel := "is before"
		if r.HoldoutEnd.Equal(r.CalibrationEnd) {
			rel = "is the same day as"
		}
		ps.add("split.holdout_end", "%s %s split.calibration_end %s: the holdout must end after calibration", s.HoldoutEnd, rel, s.CalibrationEnd)
		holdOK = false
	}
	if calOK && holdOK {
		r.HoldoutDays = int(math.Round(r.HoldoutEnd.Sub(r.CalibrationEnd).Hours() / 24))
	}
	var prev time.Time
	r.Origins = nil
	for i, o := range s.Origins {
		key := fmt.Sprintf("split.origins[%d]", i)
		t, ok := parseConfigDate(ps, key, o, true)
		if !ok {
			continue
		}
		switch {
		case !prev.IsZero() && !t.After(prev):
			ps.add(key, "%s is not after the origin before it, %s: list origins in increasing order, each once", o, prev.Format(time.DateOnly))
		case calOK && holdOK && !t.Before(r.CalibrationEnd):
			ps.add(key, "%s is not before split.calibration_end %s: an origin's holdout has the main holdout's length (%d days), so it would end %s, after split.holdout_end %s",
				o, s.CalibrationEnd, r.HoldoutDays, t.AddDate(0, 0, r.HoldoutDays).Format(time.DateOnly), s.HoldoutEnd)
		}
		prev = t
		r.Origins = append(r.Origins, t)
	}
	if calOK && holdOK {
		for _, o := range r.Origins {
			r.Windows = append(r.Windows, BacktestWindow{CalibrationEnd: o, HoldoutEnd: o.AddDate(0, 0, r.HoldoutDays)})
		}
		r.Windows = append(r.Windows, BacktestWindow{CalibrationEnd: r.CalibrationEnd, HoldoutEnd: r.HoldoutEnd, Main: true})
	}
}

// validateSurvival checks the survival section of a contractual config,
// and that the transaction-log sections (data, split) are left out.
func (c *Config) validateSurvival(ps *cfgProblems, r *ResolvedConfig, resolve func(string) string, checkFiles bool) {
	s := c.Survival
	if s.Path == "" {
		ps.add("survival.path", "is required: a CSV of period, customers still active at the start of the period (period 0 the cohort size)")
	} else {
		r.SurvivalPath = resolve(s.Path)
		if checkFiles {
			if st, err := os.Stat(r.SurvivalPath); err != nil {
				ps.add("survival.path", "%s: no such file (looked for %s; a relative path starts from the config file's folder %s): fix the path or pass --set survival.path=FILE", s.Path, r.SurvivalPath, r.BaseDir)
			} else if st.IsDir() {
				ps.add("survival.path", "%s is a folder, not a file (resolved to %s)", s.Path, r.SurvivalPath)
			}
		}
	}
	switch n := s.CalibrationPeriods; {
	case n == 0:
		ps.add("survival.calibration_periods", "is required: the last period the model is fitted on (≥ 2); the periods after it are the holdout")
	case n < 2:
		ps.add("survival.calibration_periods", "%d must be ≥ 2: the sBG's two parameters need at least two renewal rates to fit on", n)
	case n > 1_000_000:
		ps.add("survival.calibration_periods", "%d must be at most 1000000", n)
	}
	period := s.Period
	if period == "" {
		period = "year"
	}
	if u, err := datasets.ParseUnit(period); err != nil {
		ps.add("survival.period", "%q is not a time unit: use day, week, month, year or a number of days such as 14d", s.Period)
	} else {
		r.Unit = u
	}

	d := c.Data
	var set []string
	for _, f := range []struct{ key, val, def string }{
		{"data.path", d.Path, ""}, {"data.embedded", d.Embedded, ""}, {"data.format", d.Format, "auto"},
		{"data.header", d.Header, "auto"}, {"data.customer", d.Customer, ""}, {"data.date", d.Date, ""},
		{"data.amount", d.Amount, ""}, {"data.date_format", d.DateFormat, "iso"},
		{"data.on_bad_row", d.OnBadRow, "fail"}, {"data.rejects", d.Rejects, ""},
	} {
		if v := strings.ToLower(f.val); v != "" && v != f.def {
			set = append(set, f.key)
		}
	}
	if len(set) > 0 {
		ps.add("data", "%s", cfgSurvivalConflict("data", set))
	}
	set = nil
	if u := strings.ToLower(c.Split.Unit); u != "" && u != "week" {
		set = append(set, "split.unit")
	}
	if c.Split.CalibrationEnd != "" {
		set = append(set, "split.calibration_end")
	}
	if c.Split.HoldoutEnd != "" {
		set = append(set, "split.holdout_end")
	}
	if len(c.Split.Origins) > 0 {
		set = append(set, "split.origins")
	}
	if len(set) > 0 {
		ps.add("split", "%s", cfgSurvivalConflict("split", set))
	}
}

// cfgSurvivalConflict explains why a data or split section cannot go with
// a survival section; set lists the keys given, if known.
func cfgSurvivalConflict(section string, set []string) string {
	given := "is given"
	if len(set) > 0 {
		given = "is given (" + strings.Join(set, ", ") + ")"
	}
	why := "a contractual experiment reads a cohort's survivor counts from survival.path, not a transaction log"
	if section == "split" {
		why = "a contractual experiment fits on periods 0 to survival.calibration_periods, scores the periods after them, and takes the period length from survival.period"
	}
	return fmt.Sprintf("%s, but this config has a survival section: %s; leave %s out", given, why, section)
}

func (c *Config) validateGates(ps *cfgProblems, r *ResolvedConfig) {
	targets, metrics, example := cfgGateTargets, MetricNames(), "bgnbd.holdout.mae"
	if c.Survival != nil {
		targets, metrics, example = cfgSurvivalGateTargets, SurvivalMetricNames(), "sbg.survival.mape"
	}
	for i, g := range c.Expect {
		key := fmt.Sprintf("expect[%d]", i)
		parts := strings.Split(g.Metric, ".")
		switch {
		case g.Metric == "":
			ps.add(key+".metric", "is required: a path model.target.metric such as %s", example)
		case len(parts) != 3:
			ps.add(key+".metric", "%q is not a path model.target.metric such as %s", g.Metric, example)
		default:
			if !slices.Contains(c.Models, parts[0]) {
				ps.add(key+".metric", "%q: model %q is not in models (%s)", g.Metric, parts[0], strings.Join(c.Models, ", "))
			}
			if !slices.Contains(targets, parts[1]) {
				ps.add(key+".metric", "%q: target %q is not one of %s", g.Metric, parts[1], strings.Join(targets, ", "))
			} else if parts[1] == "holdout_revenue" && r.SpendModel == "none" {
				ps.add(key+".metric", "%q: the run has no revenue (spend model none): gate on holdout instead, or give data.amount and a spend_model", g.Metric)
			}
			if !slices.Contains(metrics, parts[2]) {
				ps.add(key+".metric", "%q: metric %q is not one of %s", g.Metric, parts[2], strings.Join(metrics, ", "))
			}
		}
		switch {
		case g.Min == nil && g.Max == nil:
			ps.add(key, "(%s) has neither min nor max: give at least one bound", g.Metric)
		case g.Min != nil && !cfgFinite(*g.Min):
			ps.add(key+".min", "%v must be a finite number", *g.Min)
		case g.Max != nil && !cfgFinite(*g.Max):
			ps.add(key+".max", "%v must be a finite number", *g.Max)
		case g.Min != nil && g.Max != nil && *g.Min > *g.Max:
			ps.add(key, "(%s) has min %v > max %v", g.Metric, *g.Min, *g.Max)
		}
	}
}

// parseConfigDate reads a YYYY-MM-DD date as midnight UTC.
func parseConfigDate(ps *cfgProblems, key, s string, required bool) (time.Time, bool) {
	if s == "" {
		if required {
			ps.add(key, "is required: a date YYYY-MM-DD")
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		ps.add(key, "%q is not a date YYYY-MM-DD", s)
		return time.Time{}, false
	}
	return t, true
}

// parseConfigColumn reads a column selector: a number is a 0-based index,
// anything else a header name.
func parseConfigColumn(s string) (Column, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 100000 {
			return Column{}, fmt.Errorf("column index %d is out of range 0..100000", n)
		}
		return Column{Index: n}, nil
	}
	return Column{Name: s, Index: -1}, nil
}

// canonicalConfig is the config in canonical form: every key present,
// defaults filled in and, once validated, spellings normalized (unit,
// dates, spend model, horizon). Paths are kept as written, so the hash does
// not depend on where the project sits.
func (c *Config) canonical() Config {
	k := Config{
		Name: c.Name, Seed: c.Seed, Data: c.Data, Split: c.Split,
		Models: slices.Clone(c.Models), SpendModel: c.SpendModel, CLV: c.CLV,
		Segments: c.Segments, Fit: c.Fit, Retention: c.Retention, Hiatus: c.Hiatus,
		Expect: slices.Clone(c.Expect), Output: c.Output,
	}
	if c.Survival != nil {
		s := *c.Survival
		k.Survival = &s
	}
	if k.Models == nil {
		k.Models = []string{}
	}
	if k.Expect == nil {
		k.Expect = []Gate{}
	}
	k.Split.Origins = slices.Clone(c.Split.Origins)
	if k.Split.Origins == nil {
		k.Split.Origins = []string{}
	}
	if c.validated && c.Survival != nil {
		r := c.Resolved
		k.Survival.Period = r.Unit.Name
		k.SpendModel = r.SpendModel
		k.Retention.Period = r.RetentionPeriod.Name
	} else if c.validated {
		r := c.Resolved
		k.Data.Format, k.Data.Header = r.Format, r.Header
		k.Data.OnBadRow = strings.ToLower(k.Data.OnBadRow)
		k.Split.Unit = r.Unit.Name
		k.Split.CalibrationEnd = r.CalibrationEnd.Format(time.DateOnly)
		k.Split.HoldoutEnd = r.HoldoutEnd.Format(time.DateOnly)
		for i, o := range r.Origins {
			k.Split.Origins[i] = o.Format(time.DateOnly)
		}
		k.SpendModel = r.SpendModel
		k.CLV.Horizon = r.Horizon
		k.Retention.Period = r.RetentionPeriod.Name
	}
	return k
}

// CanonicalJSON returns the config in canonical form as compact JSON:
// every key in schema order, defaults filled in, and (after a successful
// Validate) units, dates and the spend model normalized and the horizon
// default made explicit. Paths appear as written.
func (c *Config) CanonicalJSON() ([]byte, error) {
	k := c.canonical()
	b, err := json.Marshal(&k)
	if err != nil {
		return nil, fmt.Errorf("encoding config %s: %w", c.File, err)
	}
	return b, nil
}

// Hash returns the first 8 hex digits of the SHA-256 of CanonicalJSON:
// the same config gives the same hash on every run and machine, and any
// change of a key's value changes it. It names the run's results folder.
func (c *Config) Hash() string {
	b, err := c.CanonicalJSON()
	if err != nil {
		b = []byte(err.Error()) // unreachable: the config holds only plain values
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}

// cfgResolvedJSON is the manifest's view of a config.
type cfgResolvedJSON struct {
	File         string          `json:"file"`
	FileResolved string          `json:"file_resolved"`
	Overrides    []string        `json:"overrides"`
	Hash         string          `json:"hash"`
	Config       json.RawMessage `json:"config"`
	Resolved     struct {
		DataPath            string           `json:"data_path,omitempty"`
		SurvivalPath        string           `json:"survival_path,omitempty"`
		Embedded            string           `json:"embedded,omitempty"`
		RejectsPath         string           `json:"rejects_path,omitempty"`
		OutputDir           string           `json:"output_dir"`
		Customer            *Column          `json:"customer,omitempty"`
		Date                *Column          `json:"date,omitempty"`
		Amount              *Column          `json:"amount,omitempty"`
		DateLayout          string           `json:"date_layout,omitempty"`
		Unit                string           `json:"unit"`
		UnitDays            float64          `json:"unit_days"`
		HoldoutDays         int              `json:"holdout_days"`
		Windows             []map[string]any `json:"windows"`
		SpendModel          string           `json:"spend_model"`
		Horizon             float64          `json:"horizon"`
		DiscountRatePerYear float64          `json:"discount_rate_per_year"`
		DiscountRatePerUnit float64          `json:"discount_rate_per_unit"`
		DiscountConversion  string           `json:"discount_conversion"`
		RetentionPeriodDays float64          `json:"retention_period_days"`
	} `json:"resolved"`
}

// ResolvedJSON returns, for the run's manifest, the config as given (file
// and overrides), its canonical form and hash, and what Validate resolved:
// absolute paths, columns, the windows of the backtest, the spend model,
// and the discount rate converted to the split unit together with the
// formula used. It fails on a config that has not passed Validate.
func (c *Config) ResolvedJSON() ([]byte, error) {
	if !c.validated {
		return nil, fmt.Errorf("config %s: ResolvedJSON needs a validated config (call Validate first)", c.File)
	}
	r := c.Resolved
	var j cfgResolvedJSON
	j.File, j.FileResolved, j.Hash = c.File, r.ConfigFile, c.Hash()
	j.Overrides = slices.Clone(c.Overrides)
	if j.Overrides == nil {
		j.Overrides = []string{}
	}
	canon, err := c.CanonicalJSON()
	if err != nil {
		return nil, err
	}
	j.Config = canon
	x := &j.Resolved
	x.DataPath, x.RejectsPath, x.OutputDir = r.DataPath, r.RejectsPath, r.OutputDir
	x.Embedded = c.Data.Embedded
	if c.Survival == nil {
		x.Customer, x.Date, x.DateLayout = &r.Customer, &r.Date, r.DateLayout
	}
	if r.HasAmount {
		x.Amount = &r.Amount
	}
	x.SurvivalPath = r.SurvivalPath
	x.Unit, x.UnitDays, x.HoldoutDays = r.Unit.Name, r.Unit.Days(), r.HoldoutDays
	x.Windows = []map[string]any{}
	for _, w := range r.Windows {
		x.Windows = append(x.Windows, map[string]any{
			"calibration_end": w.CalibrationEnd.Format(time.DateOnly),
			"holdout_end":     w.HoldoutEnd.Format(time.DateOnly),
			"main":            w.Main,
		})
	}
	x.SpendModel, x.Horizon = r.SpendModel, r.Horizon
	x.DiscountRatePerYear, x.DiscountRatePerUnit = c.CLV.DiscountRate, r.DiscountRatePerUnit
	x.DiscountConversion = fmt.Sprintf("(1 + %g)^(%g/365.25) - 1", c.CLV.DiscountRate, r.Unit.Days())
	x.RetentionPeriodDays = r.RetentionPeriod.Days()
	b, err := json.MarshalIndent(&j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding resolved config %s: %w", c.File, err)
	}
	return b, nil
}

// MarshalJSON writes a column as {"name": ...} or {"index": ...}.
func (c Column) MarshalJSON() ([]byte, error) {
	if c.ByIndex() {
		return json.Marshal(map[string]int{"index": c.Index})
	}
	return json.Marshal(map[string]string{"name": c.Name})
}

// cfgProblems collects a config's problems in the order found.
type cfgProblems struct{ list []Problem }

// add records a problem about key; the message is the key followed by the
// formatted text.
func (p *cfgProblems) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + " " + msg
	}
	p.list = append(p.list, Problem{Key: key, Message: msg})
}

// covers reports whether a problem about key, or about a section or list
// holding it, is already recorded.
func (p *cfgProblems) covers(key string) bool {
	for _, q := range p.list {
		if q.Key == "" || q.Key == "--set" {
			continue
		}
		if key == q.Key || strings.HasPrefix(key, q.Key+".") || strings.HasPrefix(key, q.Key+"[") ||
			strings.HasPrefix(q.Key, key+"[") {
			return true
		}
	}
	return false
}

type cfgSchemaKey struct {
	key string
	typ reflect.Type
}

// cfgSchemaKeys lists the config's keys from the mapstructure tags of Config:
// the leaves (values) and the sections (tables of keys).
func cfgSchemaKeys() (leaves []cfgSchemaKey, sections []string) {
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			if name == "" || name == "-" {
				continue
			}
			key := prefix + name
			ft := f.Type
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				ft = ft.Elem() // an optional section
			}
			if ft.Kind() == reflect.Struct {
				sections = append(sections, key)
				walk(ft, key+".")
				continue
			}
			leaves = append(leaves, cfgSchemaKey{key, f.Type})
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return leaves, sections
}

// cfgDecodeProblems turns mapstructure's decoding errors into problems that
// name the key.
func cfgDecodeProblems(err error, ps *cfgProblems) {
	var walk func(err error)
	walk = func(err error) {
		de, ok := err.(*mapstructure.DecodeError)
		if !ok {
			if multi, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range multi.Unwrap() {
					walk(e)
				}
			} else if inner := errors.Unwrap(err); inner != nil {
				walk(inner)
			} else {
				ps.add("", "%v", err)
			}
			return
		}
		key, inner := de.Name(), de.Unwrap()
		var he cfgHookError
		var pe *mapstructure.ParseError
		var ue *mapstructure.UnconvertibleTypeError
		switch {
		case strings.HasPrefix(inner.Error(), "has invalid keys: "):
			for _, k := range strings.Split(strings.TrimPrefix(inner.Error(), "has invalid keys: "), ", ") {
				full := k
				if key != "" {
					full = key + "." + k
				}
				ps.add(full, "is not a known key%s", cfgSuggest(full))
			}
		case errors.As(inner, &he):
			ps.add(key, "%s", he.msg)
		case errors.As(inner, &pe):
			ps.add(key, "%s is not %s", cfgDescribeValue(pe.Value), cfgDescribeType(pe.Expected.Type()))
		case errors.As(inner, &ue):
			ps.add(key, "is %s, want %s", cfgDescribeValue(ue.Value), cfgDescribeType(ue.Expected.Type()))
		default:
			ps.add(key, "%v", inner)
		}
	}
	walk(err)
}

// cfgHookError is a conversion problem found by configDecodeHook.
type cfgHookError struct{ msg string }

func (e cfgHookError) Error() string { return e.msg }

// configDecodeHook converts the values of a config file, an environment
// variable or a --set override to the field's type, strictly: text to
// numbers and booleans where it parses, numbers and dates to text (a
// column index, a date), a comma-separated text or "[a,b]" to a list.
func configDecodeHook(from, to reflect.Type, data any) (any, error) {
	if data == nil {
		return data, nil
	}
	switch to.Kind() {
	case reflect.Struct:
		if _, ok := data.(map[string]any); !ok {
			return nil, cfgHookError{fmt.Sprintf("is %s, want a table of keys", cfgDescribeValue(data))}
		}
	case reflect.Pointer, reflect.Interface:
		return data, nil
	case reflect.String:
		switch d := data.(type) {
		case string:
			return d, nil
		case time.Time:
			if d.Hour() == 0 && d.Minute() == 0 && d.Second() == 0 && d.Nanosecond() == 0 {
				return d.Format(time.DateOnly), nil
			}
			return d.Format(time.RFC3339Nano), nil
		case bool:
			return strconv.FormatBool(d), nil
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			return fmt.Sprint(d), nil
		case float64:
			return strconv.FormatFloat(d, 'f', -1, 64), nil
		case encoding.TextMarshaler: // e.g. a TOML local date
			b, err := d.MarshalText()
			if err != nil {
				return nil, cfgHookError{fmt.Sprintf("cannot be read as text: %v", err)}
			}
			return string(b), nil
		}
	case reflect.Int, reflect.Int64:
		switch d := data.(type) {
		case string:
			s := strings.TrimSpace(d)
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
			if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int64(f), nil
			}
			return nil, cfgHookError{fmt.Sprintf("%q is not a whole number", d)}
		case float64:
			if d != math.Trunc(d) || math.Abs(d) >= 1<<53 {
				return nil, cfgHookError{fmt.Sprintf("%v is not a whole number", d)}
			}
			return int64(d), nil
		case bool:
			return nil, cfgHookError{fmt.Sprintf("%v is not a whole number", d)}
		}
	case reflect.Float64:
		switch d := data.(type) {
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(d), 64)
			if err != nil {
				return nil, cfgHookError{fmt.Sprintf("%q is not a number", d)}
			}
			return f, nil
		case bool:
			return nil, cfgHookError{fmt.Sprintf("%v is not a number", d)}
		}
	case reflect.Bool:
		if d, ok := data.(string); ok {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "true", "yes", "on", "1":
				return true, nil
			case "false", "no", "off", "0":
				return false, nil
			}
			return nil, cfgHookError{fmt.Sprintf("%q is not true or false", d)}
		}
	case reflect.Slice:
		if _, ok := data.(map[string]any); ok {
			return nil, cfgHookError{"is a table of keys, want a list"}
		}
		if to.Elem().Kind() != reflect.String {
			break
		}
		if d, ok := data.(string); ok {
			s := strings.TrimSpace(d)
			s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
			out := []string{}
			for _, f := range strings.Split(s, ",") {
				if f = strings.TrimSpace(f); f != "" {
					out = append(out, f)
				}
			}
			return out, nil
		}
	}
	return data, nil
}

// cfgDescribeValue renders a decoded value for a message.
func cfgDescribeValue(v any) string {
	switch d := v.(type) {
	case string:
		return strconv.Quote(d)
	case map[string]any:
		return "a table of keys"
	case []any:
		return "a list"
	case nil:
		return "empty"
	}
	return fmt.Sprintf("%v", v)
}

// cfgDescribeType names a field's type for a message.
func cfgDescribeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of tables"
		}
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a table of keys"
	case reflect.Pointer:
		return cfgDescribeType(t.Elem())
	}
	return t.String()
}

// cfgSuggest returns " (did you mean K?)" for the known key closest to
// key, or "" when none is close. A bare key that is the last part of a
// known one ("horizon" for "clv.horizon") counts as close.
func cfgSuggest(key string) string {
	leaves, sections := cfgSchemaKeys()
	known := slices.Clone(sections)
	for _, l := range leaves {
		known = append(known, l.key)
	}
	// A key inside a list item (expect[3].maxx) is compared with the item's
	// own keys under the same prefix.
	if i := strings.LastIndex(key, "]."); i >= 0 {
		known = known[:0]
		for _, f := range []string{"metric", "min", "max"} {
			known = append(known, key[:i+2]+f)
		}
	}
	if !strings.Contains(key, ".") {
		for _, k := range known {
			if strings.HasSuffix(k, "."+key) {
				return " (did you mean " + k + "?)"
			}
		}
	}
	if near := ClosestNames(key, known, 1); len(near) > 0 {
		return " (did you mean " + near[0] + "?)"
	}
	return ""
}

func cfgOrQuoted(s, empty string) string {
	if s == "" {
		return empty
	}
	return strconv.Quote(s)
}

func cfgFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
