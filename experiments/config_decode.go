package experiments

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

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
// variable or an override to the field's type, strictly: text to numbers
// and booleans where it parses, numbers and dates to text (a column index,
// a date), a comma-separated text or "[a,b]" to a list.
func configDecodeHook(from, to reflect.Type, data any) (any, error) {
	if data == nil {
		return data, nil
	}
	switch to.Kind() {
	case reflect.Struct:
		if _, ok := data.(map[string]any); !ok {
			return nil, cfgHookError{fmt.Sprintf("is %s, want a table of keys", cfgDescribeValue(data))}
		}
	case reflect.String:
		return hookText(data)
	case reflect.Int, reflect.Int64:
		return hookWhole(data)
	case reflect.Float64:
		return hookNumber(data)
	case reflect.Bool:
		return hookBool(data)
	case reflect.Slice:
		return hookList(to, data)
	}
	return data, nil
}

// hookText converts a value to text: dates as YYYY-MM-DD (RFC 3339 with a
// time of day), numbers and booleans as written.
func hookText(data any) (any, error) {
	switch d := data.(type) {
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
	return data, nil
}

// hookWhole converts text and whole floats to an integer.
func hookWhole(data any) (any, error) {
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
	return data, nil
}

// hookNumber converts text to a number and refuses a boolean.
func hookNumber(data any) (any, error) {
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
	return data, nil
}

// hookBool converts true/false, yes/no, on/off and 1/0 written as text.
func hookBool(data any) (any, error) {
	d, ok := data.(string)
	if !ok {
		return data, nil
	}
	switch strings.ToLower(strings.TrimSpace(d)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return nil, cfgHookError{fmt.Sprintf("%q is not true or false", d)}
}

// hookList refuses a table where a list is wanted and splits a text
// "a, b" or "[a,b]" into a list of text (numbers for a list of numbers,
// such as intervals.levels, are read from it element by element).
func hookList(to reflect.Type, data any) (any, error) {
	if _, ok := data.(map[string]any); ok {
		return nil, cfgHookError{"is a table of keys, want a list"}
	}
	d, ok := data.(string)
	if k := to.Elem().Kind(); !ok || (k != reflect.String && k != reflect.Float64) {
		return data, nil
	}
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
