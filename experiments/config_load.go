package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/clv-dev/clv/experiments/inputfile"
)

// LoadOptions tunes LoadWith.
type LoadOptions struct {
	// Overrides are key=value pairs (--set on the command line), applied
	// over the file and the environment.
	Overrides []string
	// Environ is the environment as "NAME=value" entries; nil means the
	// process's (os.Environ). Its CLV_ variables set keys.
	Environ []string
	// SkipFileChecks leaves out the check that data.path exists (for
	// checking a config on a machine without its data).
	SkipFileChecks bool
}

// Load reads the config file at path (YAML, TOML or JSON, by its
// extension .yaml, .yml, .toml or .json), fills in defaults, applies
// CLV_-prefixed environment variables and then the overrides ("key=value",
// dotted keys), decodes it strictly (an unknown key, or two keys equal but
// for case, is an error), validates it, checking that data.path exists,
// and stores the resolved values in Resolved.
//
// Every problem found is reported at once in a *ConfigError.
func Load(path string, overrides []string) (*Config, error) {
	return LoadWith(path, LoadOptions{Overrides: overrides})
}

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Config, error) {
	v, raw, typ, err := cfgReadFile(path)
	if err != nil {
		return nil, err
	}
	var ps cfgProblems
	cfgCaseClashes(raw, typ, &ps)
	environ := o.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := cfgEnvironment(environ, &ps)
	for _, e := range env {
		v.Set(e.key, e.value)
	}
	overridden := map[string]string{}
	for _, s := range o.Overrides {
		key, value, err := cfgParseOverride(s)
		if err != nil {
			ps.add("", "override %v", err)
			continue
		}
		v.Set(key, value)
		overridden[key] = s
	}
	c, survival := cfgDecode(v, &ps)
	c.Models = cfgModelNames(c.Models) // any case, as --model on the command line
	c.File = path
	c.Overrides = slices.Clone(o.Overrides)
	c.Sources = cfgSources(env, overridden)
	if c.Name == "" {
		// The name's default: the file's name without its extension.
		c.Name, c.nameFromFile = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), true
	}
	if c.Survival == nil && survival {
		c.Survival = &SurvivalConfig{} // survival: {} is a contractual config missing its keys
	}
	c.Resolved = c.mergeResolveProblems(&ps, !o.SkipFileChecks)
	if c.Survival != nil {
		// A data or split section written in the file is refused even when
		// it holds only default values (Resolve sees only values).
		covered := newCfgCovered(ps.list)
		for _, sec := range []string{"data", "split"} {
			if v.InConfig(sec) && !covered.covers(sec) {
				ps.add(sec, "%s", cfgSurvivalConflict(sec, nil))
			}
		}
	}
	if len(ps.list) > 0 {
		return nil, &ConfigError{File: path, Problems: ps.list}
	}
	return c, nil
}

// cfgReadFile reads and parses a config file into a viper holding the
// defaults.
func cfgReadFile(path string) (v *viper.Viper, raw []byte, typ string, err error) {
	fail := func(format string, args ...any) error {
		return &ConfigError{File: path, Problems: []Problem{{Message: fmt.Sprintf(format, args...)}}}
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	typ, ok := map[string]string{"yaml": "yaml", "yml": "yaml", "toml": "toml", "json": "json"}[ext]
	if !ok {
		return nil, nil, "", fail("unsupported config file extension %q: use .yaml, .yml, .toml or .json", filepath.Ext(path))
	}
	raw, err = inputfile.ReadAll(context.Background(), path, inputfile.ConfigLimits)
	if err != nil {
		return nil, nil, "", fail("cannot read the config file: %v", err)
	}
	v = viper.New()
	v.SetConfigType(typ)
	for _, d := range configDefaults {
		if d.value != nil {
			v.SetDefault(d.key, d.value)
		}
	}
	if err := v.ReadConfig(bytes.NewReader(raw)); err != nil {
		return nil, nil, "", fail("cannot parse the config as %s: %v", strings.ToUpper(typ), err)
	}
	return v, raw, typ, nil
}

// cfgDecode decodes the settings strictly into a Config; survival reports
// whether the config has a survival section (a contractual experiment).
func cfgDecode(v *viper.Viper, ps *cfgProblems) (c *Config, survival bool) {
	// A contractual config runs sbg unless it names its models.
	_, survival = v.AllSettings()["survival"]
	survival = survival || v.InConfig("survival") // also an empty section
	if survival {
		v.SetDefault("models", slices.Clone(cfgSurvivalModels))
	}
	c = &Config{}
	err := v.UnmarshalExact(c, viper.DecodeHook(configDecodeHook), func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = false // conversions are done, strictly, by configDecodeHook
	})
	if err != nil {
		cfgDecodeProblems(err, ps)
	}
	return c, survival
}

// mergeResolveProblems resolves the config and adds its problems to ps,
// leaving out those about a key a decoding problem already reported, so
// that one mistake gives one message.
func (c *Config) mergeResolveProblems(ps *cfgProblems, checkFiles bool) ResolvedConfig {
	r, err := c.resolve(checkFiles)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		return r
	}
	covered := newCfgCovered(ps.list)
	for _, p := range ce.Problems {
		if !covered.covers(p.Key) {
			ps.list = append(ps.list, p)
		}
	}
	return r
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
