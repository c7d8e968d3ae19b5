package experiments

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// loadEnv loads the base config with the given environment only.
func loadEnv(t *testing.T, environ []string, overrides ...string) (*Config, error) {
	t.Helper()
	p := writeConfig(t, "base.yaml", configYAML(nil))
	return LoadWith(p, LoadOptions{Environ: environ, Overrides: overrides, SkipFileChecks: true})
}

// TestEnvironmentRefused covers the CLV_ variables that must not change a
// config silently: one naming a section (it used to wipe the section), one
// naming no key, and the ones that are documented as ignored or belong to
// the test harness.
func TestEnvironmentRefused(t *testing.T) {
	for _, tc := range []struct {
		env  string
		key  string
		want string
	}{
		{"CLV_OUTPUT=x", "output", `output is a section, but the environment variable CLV_OUTPUT sets it to "x": set one of its keys instead (CLV_OUTPUT_DIR, CLV_OUTPUT_PLOTS, CLV_OUTPUT_REPORT, CLV_OUTPUT_PREDICTIONS, CLV_OUTPUT_FORMATS, CLV_OUTPUT_TABLE, CLV_OUTPUT_TABLE_REPLACE)`},
		{"CLV_DATA=x", "data", "CLV_DATA_PATH"},
		{"CLV_SPLIT_UNITS=month", "", "the environment variable CLV_SPLIT_UNITS is not a known key (did you mean CLV_SPLIT_UNIT?)"},
		{"CLV_HORIZON=5", "", "CLV_HORIZON is not a known key"},
	} {
		_, err := loadEnv(t, []string{"HOME=/x", tc.env})
		ce := configErrorOf(t, err)
		if len(ce.Problems) != 1 || ce.Problems[0].Key != tc.key || !strings.Contains(ce.Problems[0].Message, tc.want) {
			t.Errorf("%s: problems %+v, want one about %q containing %q", tc.env, ce.Problems, tc.key, tc.want)
		}
	}
	ignored := []string{"CLV_EXPECT=[{metric: x}]", "CLV_SHARED=/nowhere", "CLV_REQUIRE_SHARED=1", "CLV_REQUIRE_BROWSER=1", "CLV_BROWSER_SCREENSHOT=/tmp/x.png", "CLV_TEST_AS_CLV=1", "CLV_MODELS=", "clv_split_unit=day"}
	c, err := loadEnv(t, ignored)
	if err != nil {
		t.Fatalf("ignored variables %v: %v", ignored, err)
	}
	if len(c.Sources) != 0 || len(c.Expect) != 1 || c.Split.Unit != "week" {
		t.Errorf("ignored variables changed the config: sources %v, expect %v, unit %s", c.Sources, c.Expect, c.Split.Unit)
	}
}

// TestSources checks that the keys set by the environment and by overrides
// are listed with their source, an override winning over the environment,
// and that the manifest records them.
func TestSources(t *testing.T) {
	c, err := loadEnv(t, []string{"CLV_SPLIT_UNIT=month", "CLV_SEGMENTS_GROUPS=4", "PATH=/bin"}, "segments.groups=5", "FIT.Penalty=0.5")
	if err != nil {
		t.Fatal(err)
	}
	want := []KeySource{
		{Key: "fit.penalty", Source: SourceOverride, From: "FIT.Penalty=0.5"},
		{Key: "segments.groups", Source: SourceOverride, From: "segments.groups=5"},
		{Key: "split.unit", Source: SourceEnvironment, From: "CLV_SPLIT_UNIT"},
	}
	if !slices.Equal(c.Sources, want) {
		t.Errorf("sources %v, want %v", c.Sources, want)
	}
	if got := fmt.Sprint(c.Sources[2], "; ", c.Sources[1]); got != "split.unit from CLV_SPLIT_UNIT; segments.groups from override segments.groups=5" {
		t.Errorf("String: %s", got)
	}
	if c.Segments.Groups != 5 || c.Split.Unit != "month" || c.Fit.Penalty != 0.5 {
		t.Errorf("values: groups %d unit %s penalty %v", c.Segments.Groups, c.Split.Unit, c.Fit.Penalty)
	}
	b, err := c.ResolvedJSON()
	if err != nil {
		t.Fatal(err)
	}
	var j struct{ Sources []KeySource }
	if err := json.Unmarshal(b, &j); err != nil || !slices.Equal(j.Sources, want) {
		t.Errorf("manifest sources %v (%v), want %v", j.Sources, err, want)
	}
	// Without any, the manifest says so with an empty list.
	c, err = loadEnv(t, []string{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.ResolvedJSON(); !strings.Contains(string(b), `"sources": []`) {
		t.Errorf("manifest without sources: %s", b)
	}
}

// TestCaseClashes checks that keys equal but for case are refused in each
// file format instead of the last one winning.
func TestCaseClashes(t *testing.T) {
	for _, tc := range []struct{ name, text, key, want string }{
		{"c.yaml", configYAML(map[string]string{"clv": "clv: {horizon: 10, HORIZON: 20}"}), "clv.horizon", "clv.horizon is given 2 times, spelt HORIZON and horizon: keys are case-insensitive, so keep one"},
		{"s.yaml", configYAML(map[string]string{"clv": "CLV: {horizon: 10}\nclv: {margin: 2}"}), "clv", "spelt CLV and clv"},
		{"e.yaml", configYAML(map[string]string{"expect": "expect: [{metric: bgnbd.holdout.mae, max: 1, MAX: 2}]"}), "expect[0].max", "spelt MAX and max"},
		{"c.json", `{"name": "x", "Name": "y"}`, "name", "spelt Name and name"},
		{"c.toml", "name = \"x\"\nNAME = \"y\"\n", "name", "spelt NAME and name"},
	} {
		_, err := LoadWith(writeConfig(t, tc.name, tc.text), LoadOptions{Environ: []string{}, SkipFileChecks: true})
		ce := configErrorOf(t, err)
		i := slices.IndexFunc(ce.Problems, func(p Problem) bool { return p.Key == tc.key })
		if i < 0 || !strings.Contains(ce.Problems[i].Message, tc.want) {
			t.Errorf("%s: %v\nwant a problem about %s containing %q", tc.name, err, tc.key, tc.want)
		}
	}
}

// TestManyProblems validates a config with 40,000 duplicate models (each
// one problem; this took 33 s when merging problems was quadratic). Every
// duplicate is reported once; there is no timing assertion, see
// BenchmarkManyProblems.
func TestManyProblems(t *testing.T) {
	const n = 40000
	p := writeConfig(t, "many.yaml", manyModelsConfig(n))
	_, err := LoadWith(p, LoadOptions{Environ: []string{}, SkipFileChecks: true})
	ce := configErrorOf(t, err)
	if len(ce.Problems) != n-1 || ce.Problems[n-2].Key != fmt.Sprintf("models[%d]", n-1) {
		t.Errorf("%d problems (last %+v), want %d duplicates", len(ce.Problems), ce.Problems[len(ce.Problems)-1], n-1)
	}
}

func manyModelsConfig(n int) string {
	models := "models: [" + strings.TrimSuffix(strings.Repeat("bgnbd, ", n), ", ") + "]"
	return configYAML(map[string]string{"models": models, "expect": "expect: []"})
}

func BenchmarkManyProblems(b *testing.B) {
	for _, n := range []int{1000, 10000, 40000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p := writeConfig(b, "many.yaml", manyModelsConfig(n))
			for b.Loop() {
				if _, err := LoadWith(p, LoadOptions{Environ: []string{}, SkipFileChecks: true}); err == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}
