package experiments

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one thing wrong with a config: the key it concerns ("" for
// the file as a whole) and a message that names the key.
type Problem struct {
	Key     string
	Message string
}

// ConfigError reports every problem found in a config at once. Callers
// detect it with errors.As; each Problem names its key, so the layer that
// knows how the user spoke can word a hint.
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

// Unwrap returns each problem as an error, as errors.Join would.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = errors.New(p.Message)
	}
	return errs
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

// cfgCovered indexes problems by key, to tell in constant time whether a
// later problem is about a key already reported (so that one mistake gives
// one message whatever the number of problems).
type cfgCovered struct {
	keys  map[string]bool // keys with a problem
	lists map[string]bool // lists holding an item with a problem ("expect" for expect[3].max)
}

func newCfgCovered(ps []Problem) cfgCovered {
	c := cfgCovered{keys: map[string]bool{}, lists: map[string]bool{}}
	for _, p := range ps {
		if p.Key == "" {
			continue
		}
		c.keys[p.Key] = true
		for i := range len(p.Key) {
			if p.Key[i] == '[' {
				c.lists[p.Key[:i]] = true
			}
		}
	}
	return c
}

// covers reports whether a problem about key, about a section or list
// holding it, or about an item of the list key, is recorded.
func (c cfgCovered) covers(key string) bool {
	if c.keys[key] || c.lists[key] {
		return true
	}
	for i := range len(key) {
		if (key[i] == '.' || key[i] == '[') && c.keys[key[:i]] {
			return true
		}
	}
	return false
}
