package vars_test

import (
	"fmt"

	"github.com/playground-dev/playground/web/vars"
)

func ExampleTemplate_Fill() {
	t, err := vars.Parse(`Weather in {{ city }} on {{date}}? (Write {{"{{"}} for braces.)`)
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Names())
	s, _ := t.Fill(map[string]string{"city": "Oslo", "date": "{{Monday}}"})
	fmt.Println(s)
	_, err = t.Fill(map[string]string{})
	fmt.Println(err)
	_, err = vars.Parse("Tell me about {{city")
	fmt.Println(err)
	// Output:
	// [city date]
	// Weather in Oslo on {{Monday}}? (Write {{ for braces.)
	// no value for {{city}}, {{date}}
	// unclosed {{ at 14
}
