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
