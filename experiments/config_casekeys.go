package experiments

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"
)

// cfgCaseClashes reports the keys of a config file that differ only in
// case (horizon and HORIZON in one table). Keys are case-insensitive, so
// such a pair would otherwise let the last one win silently. raw is the
// file's text and typ its format (yaml, toml or json); a file that does not
// parse is left to the main reader to report.
func cfgCaseClashes(raw []byte, typ string, ps *cfgProblems) {
	var tree any
	var err error
	switch typ {
	case "yaml":
		err = yaml.Unmarshal(raw, &tree)
	case "toml":
		var m map[string]any
		err = toml.Unmarshal(raw, &m)
		tree = m
	case "json":
		err = json.Unmarshal(raw, &tree)
	}
	if err != nil {
		return
	}
	cfgWalkCaseClashes(tree, "", ps)
}

// cfgWalkCaseClashes checks one value of the file's tree, at key prefix.
func cfgWalkCaseClashes(v any, prefix string, ps *cfgProblems) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		cfgCheckKeyCase(keys, prefix, ps)
		for _, k := range keys {
			cfgWalkCaseClashes(t[k], cfgJoinKey(prefix, strings.ToLower(k)), ps)
		}
	case map[any]any:
		keys := make([]string, 0, len(t))
		vals := make(map[string]any, len(t))
		for k, x := range t {
			s := fmt.Sprint(k)
			keys = append(keys, s)
			vals[s] = x
		}
		cfgCheckKeyCase(keys, prefix, ps)
		for _, k := range keys {
			cfgWalkCaseClashes(vals[k], cfgJoinKey(prefix, strings.ToLower(k)), ps)
		}
	case []any:
		for i, x := range t {
			cfgWalkCaseClashes(x, fmt.Sprintf("%s[%d]", prefix, i), ps)
		}
	}
}

// cfgCheckKeyCase reports each group of keys of one table that are equal
// but for case.
func cfgCheckKeyCase(keys []string, prefix string, ps *cfgProblems) {
	slices.Sort(keys)
	groups := map[string][]string{}
	for _, k := range keys {
		l := strings.ToLower(k)
		groups[l] = append(groups[l], k)
	}
	var lower []string
	for l, g := range groups {
		if len(g) > 1 {
			lower = append(lower, l)
		}
	}
	slices.Sort(lower)
	for _, l := range lower {
		ps.add(cfgJoinKey(prefix, l), "is given %d times, spelt %s: keys are case-insensitive, so keep one", len(groups[l]), strings.Join(groups[l], " and "))
	}
}

func cfgJoinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
