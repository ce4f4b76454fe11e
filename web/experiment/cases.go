package experiment

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/playground-dev/playground/web/cases"
)

// ChecksColumn is the case table's column of a case's own checks: a
// YAML or JSON list of checks, as a file's case writes them (empty: only
// the checks for every case).
const ChecksColumn = "checks"

// CasesOf are the cases of a case table, one per row: its columns are the
// case's values, but ChecksColumn, which holds the case's own checks.
func CasesOf(t cases.Table) ([]Case, error) {
	out := make([]Case, len(t.Rows))
	for i, row := range t.Rows {
		vars := map[string]string{}
		for j, col := range t.Columns {
			if j >= len(row) {
				continue
			}
			if col != ChecksColumn {
				vars[col] = row[j]
				continue
			}
			cs, err := ParseChecks(row[j])
			if err != nil {
				return nil, fmt.Errorf("case %d, column %q: %w", i+1, ChecksColumn, err)
			}
			out[i].Checks = cs
		}
		out[i].Vars = vars
	}
	return out, nil
}

// TableOf is the case table of cases: the columns in the order the
// variables come (vars first, then the other columns by first
// appearance), and last, when a case has checks of its own, ChecksColumn
// with them as JSON.
func TableOf(vars []string, cs []Case) (cases.Table, error) {
	t := cases.Table{Columns: slices.Clone(vars)}
	seen := map[string]bool{}
	for _, v := range vars {
		seen[v] = true
	}
	own := false
	for _, c := range cs {
		for _, k := range sortedKeys(c.Vars) {
			if !seen[k] {
				seen[k] = true
				t.Columns = append(t.Columns, k)
			}
		}
		own = own || len(c.Checks) > 0
	}
	if own {
		t.Columns = append(t.Columns, ChecksColumn)
	}
	for _, c := range cs {
		row := make([]string, len(t.Columns))
		for j, col := range t.Columns {
			row[j] = c.Vars[col]
		}
		if own && len(c.Checks) > 0 {
			b, err := json.Marshal(c.Checks)
			if err != nil {
				return cases.Table{}, err
			}
			row[len(row)-1] = string(b)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
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
	cs, err := CasesOf(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}
