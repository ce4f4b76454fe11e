package cases_test

import (
	"fmt"

	"github.com/playground-dev/playground/web/cases"
)

func ExampleParse() {
	t, err := cases.Parse("city\tdate\texpected\nOslo\tMonday\tsunny\n=1+1\t\"two\nlines\"\t\n", "")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", t.Columns)
	fmt.Println(t.Values(0), t.Expected(0), t.Missing([]string{"city", "lang"}))
	csv, _ := t.Export(cases.CSV)
	fmt.Printf("%q\n", csv)
	_, err = cases.Parse("a,b\n1,2\n3\n", cases.CSV)
	fmt.Println(err)
	// Output:
	// ["city" "date" "expected"]
	// map[city:Oslo date:Monday] map[:sunny] [lang]
	// "city,date,expected\r\nOslo,Monday,sunny\r\n'=1+1,\"two\nlines\",\r\n"
	// line 3: 1 cell, the header has 2
}
