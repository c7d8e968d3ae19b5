package experiments

import (
	"regexp"
	"slices"
	"strconv"
	"time"

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
// defaults, environment and overrides). The code is split by job:
//
//   - config.go: the types and the defaults;
//   - config_load.go, config_env.go, config_casekeys.go, config_decode.go:
//     reading the file, the CLV_ variables and the overrides, and decoding
//     strictly into the types;
//   - config_validate.go, config_validate_data.go: Validate reports every
//     problem and never changes the config; Resolve returns the values the
//     runner works with (parsed dates and units, absolute paths, column
//     selectors, the spend model chosen), which Load stores in Resolved;
//   - config_canonical.go: the canonical form and the hash;
//   - config_manifest.go: the manifest's view (ResolvedJSON);
//   - config_errors.go, config_hints.go: ConfigError and the hints worded
//     with config keys;
//   - config_datacheck.go: the checks of a config against its data.
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
	// Tiers sets the thresholds of the value tiers (see tiers.go).
	Tiers TiersConfig `mapstructure:"tiers" json:"tiers,omitzero"`
	// Verdict and Intervals set the verdict and the prediction intervals
	// (see config_verdict.go).
	Verdict   VerdictConfig   `mapstructure:"verdict" json:"verdict,omitzero"`
	Intervals IntervalsConfig `mapstructure:"intervals" json:"intervals,omitzero"`
	// Covariates names the customers' static covariates for the covariate
	// models, and CNBDK tunes the Erlang-k models (see
	// config_covariates.go).
	Covariates *CovariatesConfig `mapstructure:"covariates" json:"covariates,omitempty"`
	CNBDK      CNBDKConfig       `mapstructure:"cnbdk" json:"cnbdk,omitzero"`

	// File is the config file as given to Load ("" for a Config built in
	// code, whose relative paths then start from the working directory).
	File string `mapstructure:"-" json:"-"`
	// Overrides are the --set overrides Load applied, as given.
	Overrides []string `mapstructure:"-" json:"-"`
	// Sources lists the keys whose value came from the environment or
	// from an override rather than the file, in key order.
	Sources []KeySource `mapstructure:"-" json:"-"`
	// Resolved holds what Resolve derived from the fields above (Load
	// fills it in).
	Resolved ResolvedConfig `mapstructure:"-" json:"-"`

	// nameFromFile is true when Load took Name from the file's name.
	nameFromFile bool
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
	// Delimiter separates the fields of a text log: comma, semicolon,
	// tab, pipe or whitespace (runs of blanks), by name or as the
	// character itself. Empty or auto (the default) goes by data.format
	// and the first line. Left out of the canonical form when empty, so that configs
	// written before the key existed keep their hash.
	Delimiter string `mapstructure:"delimiter" json:"delimiter,omitempty"`
	// Engine, when set (postgres or clickhouse), reads the log from a
	// database instead of a file: the summary is computed there (see
	// datasets/engine). DSNEnv names the environment variable holding the
	// connection string, Table or Query (exactly one) the transactions;
	// Customer, Date and Amount are then column names. Left out of the
	// canonical form when empty.
	Engine string `mapstructure:"engine" json:"engine,omitempty"`
	DSNEnv string `mapstructure:"dsn_env" json:"dsn_env,omitempty"`
	Table  string `mapstructure:"table" json:"table,omitempty"`
	Query  string `mapstructure:"query" json:"query,omitempty"`
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
	// CostPerPurchase and CostPerCustomer are the costs of net CLV (see
	// NetCLV): per expected purchase, and per customer per split unit
	// while alive, both ≥ 0 (default 0).
	CostPerPurchase float64 `mapstructure:"cost_per_purchase" json:"cost_per_purchase,omitempty"`
	CostPerCustomer float64 `mapstructure:"cost_per_customer" json:"cost_per_customer,omitempty"`
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
	// Predictions is the format of the per-customer predictions: csv (the
	// default), parquet or none.
	Predictions string `mapstructure:"predictions" json:"predictions,omitempty"`
	// Formats are the figure files written into plots/: png, svg or both
	// (default png; see DefaultFigureFormats).
	Formats []string `mapstructure:"formats" json:"formats,omitempty"`
	// Table, with data.engine, is a table to create in the data's
	// database with the per-customer predictions (see writeback.go);
	// TableReplace allows replacing an existing one.
	Table        string `mapstructure:"table" json:"table,omitempty"`
	TableReplace bool   `mapstructure:"table_replace" json:"table_replace,omitempty"`
}

// ResolvedConfig holds the values Resolve derives from a Config: what the
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
	// Forecast is true for a config without split.holdout_end: the models
	// are fitted up to CalibrationEnd (zero: the data's last date) and
	// predict clv.horizon ahead, with no holdout to score.
	Forecast bool
	// CalibrationEndFromData is true when a forecast's CalibrationEnd was
	// not given and was set to the data's last date when it was read.
	CalibrationEndFromData bool
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
	// Delimiter is the field separator of a text log (DelimiterAuto: the
	// format and the first line decide).
	Delimiter datasets.Delimiter
	// CovariatesPath is the absolute path of covariates.path ("" without
	// covariates), and covariates the file once read (see
	// covariates_run.go).
	CovariatesPath string
	covariates     *runCovariates

	// valid is true when Resolve found no problem.
	valid bool
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

var (
	// cfgRunModels are the models a run config runs by default: the
	// purchase models that fit on the continuous-time summary (BG/BB
	// needs discrete periods and is run when listed).
	// The Erlang-k models (bgcnbdk, mbgcnbdk) run only when listed: they
	// fit up to six k each.
	cfgRunModels   = slices.DeleteFunc(models.NewRegistry().NamesFitting(models.DataContinuous, models.DataActivity), models.NeedsInterPurchase)
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
	{"data.delimiter", ""},
	{"data.engine", ""},
	{"data.dsn_env", ""},
	{"data.table", ""},
	{"data.query", ""},
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
	{"clv.cost_per_purchase", 0.0},
	{"clv.cost_per_customer", 0.0},
	{"segments.groups", 10},
	{"fit.penalty", 0.0},
	{"fit.max_iterations", 1000},
	{"retention.period", "month"},
	{"hiatus.h", 0.0},
	{"expect", []any{}},
	{"output.dir", ""},
	{"output.plots", true},
	{"output.report", true},
	{"output.predictions", "csv"},
	{"output.formats", slices.Clone(DefaultFigureFormats)},
	{"output.table", ""},
	{"output.table_replace", false},
	{"tiers.best_share", 0.2},
	{"tiers.young_share", 0.25},
	{"tiers.potential_quantile", 0.5},
	{"verdict.metric", DefaultVerdictMetric},
	{"verdict.resamples", DefaultVerdictRunResamples},
	{"intervals.levels", DefaultIntervalLevels()},
	{"intervals.draws", DefaultIntervalRunDraws},
	{"intervals.models", DefaultIntervalModels()},
	{"intervals.money", true},
	{"covariates.path", nil},
	{"covariates.customer", nil},
	{"covariates.columns", nil},
	{"cnbdk.k", 0},
	{"cnbdk.k_max", cnbdkDefaultKMax},
}
