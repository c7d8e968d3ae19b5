package experiments

import (
	"regexp"
	"strings"
)

// tableName is a table name output.table accepts: a name, or
// schema.name (database.name on ClickHouse), of letters, digits and
// underscores.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// outputTable checks output.table and output.table_replace: a table is
// written only into the database the data come from, never over the
// source table.
func (k *cfgCheck) outputTable() {
	o, d := k.c.Output, k.c.Data
	switch {
	case o.Table == "" && o.TableReplace:
		k.ps.add("output.table_replace", "is set without output.table: name the table to write, or remove the key")
	case o.Table == "":
	case d.Engine == "":
		k.ps.add("output.table", "needs data.engine: the table is written into the database the data come from (with a file, use predictions.csv)")
	case k.c.Survival != nil:
		k.ps.add("output.table", "is not supported in a contractual run (survival): it writes per-customer predictions")
	case !tableName.MatchString(o.Table):
		k.ps.add("output.table", "%q is not a table name: use letters, digits and underscores, optionally schema.table", o.Table)
	case strings.EqualFold(o.Table, strings.TrimSpace(d.Table)):
		k.ps.add("output.table", "%q is the source table data.table: name another table", o.Table)
	}
}
