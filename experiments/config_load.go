package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

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
