package experiments

import (
	"fmt"
	"slices"
	"strings"
)

// EnvPrefix is the prefix of environment overrides: CLV_SPLIT_UNIT=month
// sets split.unit.
const EnvPrefix = "CLV"

// Where a value came from, when not from the config file or a default.
const (
	SourceEnvironment = "environment" // a CLV_ variable
	SourceOverride    = "override"    // LoadOptions.Overrides (--set on the command line)
)

// KeySource says where the value of one key came from when it was not the
// config file: the environment (From is the variable, CLV_SPLIT_UNIT) or an
// override (From is the override as given, split.unit=month).
type KeySource struct {
	Key    string `json:"key"`
	Source string `json:"source"`
	From   string `json:"from"`
}

// cfgEnvIgnored are the CLV_ variables Load leaves alone: CLV_EXPECT (a
// list of tables is not expressible as one variable; configs/README.md
// says the environment sets every key but expect) and the variables of the
// test harness and CI, which are not config keys.
var cfgEnvIgnored = []string{"CLV_EXPECT", "CLV_SHARED", "CLV_BROWSER_SCREENSHOT"}

// cfgEnvIgnoredPrefixes mark further test-harness and CI variables
// (CLV_REQUIRE_SHARED, CLV_REQUIRE_BROWSER, CLV_TEST_AS_CLV).
var cfgEnvIgnoredPrefixes = []string{"CLV_TEST_", "CLV_REQUIRE_"}

// cfgEnvName is the variable that sets key: CLV_ + the key in capitals
// with "." written "_".
func cfgEnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// cfgEnvSetting is one CLV_ variable that sets a key.
type cfgEnvSetting struct{ key, name, value string }

// cfgEnvironment reads the CLV_ variables of environ ("NAME=value"
// entries, as os.Environ returns): the keys they set, in key order, and a
// problem for each variable that names a section or no key at all. Empty
// variables are ignored, as are cfgEnvIgnored.
func cfgEnvironment(environ []string, ps *cfgProblems) []cfgEnvSetting {
	leaves, sections := cfgSchemaKeys()
	byName := make(map[string]string, len(leaves))
	var known []string
	for _, l := range leaves {
		byName[cfgEnvName(l.key)] = l.key
		known = append(known, cfgEnvName(l.key))
	}
	var out []cfgEnvSetting
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix+"_") || value == "" ||
			slices.Contains(cfgEnvIgnored, name) || cfgHasAnyPrefix(name, cfgEnvIgnoredPrefixes) {
			continue
		}
		if key, ok := byName[name]; ok {
			out = append(out, cfgEnvSetting{key: key, name: name, value: value})
			continue
		}
		if i := slices.IndexFunc(sections, func(s string) bool { return cfgEnvName(s) == name }); i >= 0 {
			ps.add(sections[i], "is a section, but the environment variable %s sets it to %q: set one of its keys instead (%s)",
				name, cfgClip(value), strings.Join(cfgSectionEnvNames(sections[i], leaves), ", "))
			continue
		}
		hint := ""
		if near := ClosestNames(name, known, 1); len(near) > 0 {
			hint = " (did you mean " + near[0] + "?)"
		}
		ps.add("", "the environment variable %s is not a known key%s: a CLV_ variable sets the key it names (CLV_SPLIT_UNIT sets split.unit); unset it or fix its name", name, hint)
	}
	slices.SortFunc(out, func(a, b cfgEnvSetting) int { return strings.Compare(a.key, b.key) })
	return out
}

// cfgSectionEnvNames lists the variables of a section's keys.
func cfgSectionEnvNames(section string, leaves []cfgSchemaKey) []string {
	var names []string
	for _, l := range leaves {
		if strings.HasPrefix(l.key, section+".") {
			names = append(names, cfgEnvName(l.key))
		}
	}
	return names
}

// cfgClip shortens a value quoted in a message to at most 40 bytes.
func cfgClip(s string) string {
	if len(s) <= 40 {
		return s
	}
	n := 40
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}

// cfgSources lists where the keys set by the environment and by overrides
// came from, in key order; an override replaces the environment's value.
func cfgSources(env []cfgEnvSetting, overrides map[string]string) []KeySource {
	var out []KeySource
	for _, e := range env {
		if _, ok := overrides[e.key]; !ok {
			out = append(out, KeySource{Key: e.key, Source: SourceEnvironment, From: e.name})
		}
	}
	for key, given := range overrides {
		out = append(out, KeySource{Key: key, Source: SourceOverride, From: given})
	}
	slices.SortFunc(out, func(a, b KeySource) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// String writes the source as "split.unit from CLV_SPLIT_UNIT" or
// "split.unit from override split.unit=month".
func (s KeySource) String() string {
	if s.Source == SourceEnvironment {
		return fmt.Sprintf("%s from %s", s.Key, s.From)
	}
	return fmt.Sprintf("%s from %s %s", s.Key, s.Source, s.From)
}

func cfgHasAnyPrefix(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}
