package experiment

import (
	"fmt"
	"os"
	"slices"

	"github.com/playground-dev/playground/web/cases"
)

// CasesOf are a case table's rows as cases: each cell by its column's
// name (expected columns too, for the checks' {{expected}}).
func CasesOf(t cases.Table) []Case {
	out := make([]Case, len(t.Rows))
	for i, row := range t.Rows {
		vars := map[string]string{}
		for j, col := range t.Columns {
			if j < len(row) {
				vars[col] = row[j]
			}
		}
		out[i] = Case{Vars: vars}
	}
	return out
}

// TableOf is the case table of cases: the columns in the order the
// variables come (vars first, then the other columns by first
// appearance); a case's own checks are not in a table.
func TableOf(vars []string, cs []Case) cases.Table {
	t := cases.Table{Columns: slices.Clone(vars)}
	seen := map[string]bool{}
	for _, v := range vars {
		seen[v] = true
	}
	for _, c := range cs {
		for _, k := range sortedKeys(c.Vars) {
			if !seen[k] {
				seen[k] = true
				t.Columns = append(t.Columns, k)
			}
		}
	}
	for _, c := range cs {
		row := make([]string, len(t.Columns))
		for j, col := range t.Columns {
			row[j] = c.Vars[col]
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ReadCasesFile reads a cases file: CSV, TSV or JSONL by its extension
// (else by its content), within the case table's limits.
func ReadCasesFile(path string) ([]Case, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > cases.MaxBytes {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a case table may have", path, st.Size(), cases.MaxBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, _ := cases.FormatOfName(path)
	t, err := cases.Parse(string(data), f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return CasesOf(t), nil
}
