package datasets

import (
	"strconv"
	"strings"
)

// SpreadsheetSafe neutralises a text field (a customer id, a rejected
// row's text, a run label) written to a CSV file that people open in a
// spreadsheet program, which would run a field starting with =, +, - or @
// as a formula (CSV injection). The rule: a field whose first character is
// '=', '+', '-', '@', a tab or a carriage return gets a single quote (')
// in front, which spreadsheets show as text and do not display, unless the
// whole field is a decimal number (such as "-5", "+3.5" or "-1e3", which a
// spreadsheet reads as that number, not a formula; "-Inf" is quoted). Every other field is unchanged.
//
// The quote is part of the field in the file: a summary written with
// `clv summarize` and read back keeps the id with its quote.
func SpreadsheetSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && strings.Trim(s, "0123456789.eE+-") == "" {
		return s
	}
	return "'" + s
}
