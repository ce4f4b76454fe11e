package snippet

import (
	"go/format"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
)

// renderGo is a package main using net/http, runnable with go run.
func renderGo(r *request.Request) string {
	var b strings.Builder
	b.WriteString("// Command playground sends the playground's request with net/http. Run: go run playground.go\n")
	b.WriteString("package main\n\nimport (\n")
	imports := []string{"encoding/json", "fmt", "io", "net/http", "os"}
	if r.Stream {
		imports = append(imports, "bufio")
	}
	if r.Body != nil || r.Stream {
		imports = append(imports, "strings")
	}
	slices.Sort(imports)
	for _, i := range imports {
		b.WriteString("\t" + strconv.Quote(i) + "\n")
	}
	b.WriteString(")\n\n")
	body := "nil"
	if r.Body != nil {
		b.WriteString("const body = " + GoString(string(r.Body)) + "\n\n")
		body = "strings.NewReader(body)"
	}
	b.WriteString("func main() {\n")
	b.WriteString("\treq, err := http.NewRequest(" + strconv.Quote(method(r)) + ", " + goValue.of(urlOf(r)) + ", " + body + ")\n")
	b.WriteString("\tif err != nil {\n\t\tfail(err)\n\t}\n")
	for _, h := range headersOf(r) {
		b.WriteString("\treq.Header.Set(" + strconv.Quote(h.name) + ", " + goValue.of(h.value) + ")\n")
	}
	b.WriteString(`	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		fail(fmt.Errorf("HTTP %s: %s", resp.Status, b))
	}
`)
	if r.Stream {
		b.WriteString(`	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(nil, 16<<20)
	for scanner.Scan() {
		data, ok := strings.CutPrefix(scanner.Text(), "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			break
		}
`)
		b.WriteString(goStreamText[r.Style])
		b.WriteString("\t}\n\tif err := scanner.Err(); err != nil {\n\t\tfail(err)\n\t}\n\tfmt.Println()\n")
	} else {
		b.WriteString("\tdata, err := io.ReadAll(resp.Body)\n\tif err != nil {\n\t\tfail(err)\n\t}\n")
		b.WriteString(goAnswerText[r.Style])
		b.WriteString("\tif text == \"\" {\n\t\ttext = string(data)\n\t}\n\tfmt.Println(text)\n")
	}
	return endGo(&b)
}

// endGo closes a Go snippet's main, adds its fail and formats it.
func endGo(b *strings.Builder) string {
	b.WriteString("}\n\nfunc fail(err error) {\n\tfmt.Fprintln(os.Stderr, err)\n\tos.Exit(1)\n}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return b.String() // cannot happen: the tests compile every snippet
	}
	return string(src)
}

// goValue writes values as Go.
var goValue = joiner{quote: strconv.Quote, env: func(v string) string { return "os.Getenv(" + strconv.Quote(v) + ")" }, empty: `""`}

// goStreamText prints an event's text, by API style.
var goStreamText = map[catalog.Style]string{
	catalog.Chat: `		var event struct {
			Choices []struct {
				Delta struct {
					Content string ` + "`json:\"content\"`" + `
				} ` + "`json:\"delta\"`" + `
			} ` + "`json:\"choices\"`" + `
		}
		if json.Unmarshal([]byte(data), &event) != nil {
			continue
		}
		for _, c := range event.Choices {
			fmt.Print(c.Delta.Content)
		}
`,
	catalog.Completions: `		var event struct {
			Choices []struct {
				Text string ` + "`json:\"text\"`" + `
			} ` + "`json:\"choices\"`" + `
		}
		if json.Unmarshal([]byte(data), &event) != nil {
			continue
		}
		for _, c := range event.Choices {
			fmt.Print(c.Text)
		}
`,
	catalog.Responses: `		var event struct {
			Type  string ` + "`json:\"type\"`" + `
			Delta string ` + "`json:\"delta\"`" + `
		}
		if json.Unmarshal([]byte(data), &event) == nil && event.Type == "response.output_text.delta" {
			fmt.Print(event.Delta)
		}
`,
}

// goAnswerText sets text to a whole answer's text, by API style.
var goAnswerText = map[catalog.Style]string{
	catalog.Chat: `	var answer struct {
		Choices []struct {
			Message struct {
				Content string ` + "`json:\"content\"`" + `
			} ` + "`json:\"message\"`" + `
		} ` + "`json:\"choices\"`" + `
	}
	var text string
	if json.Unmarshal(data, &answer) == nil && len(answer.Choices) > 0 {
		text = answer.Choices[0].Message.Content
	}
`,
	catalog.Completions: `	var answer struct {
		Choices []struct {
			Text string ` + "`json:\"text\"`" + `
		} ` + "`json:\"choices\"`" + `
	}
	var text string
	if json.Unmarshal(data, &answer) == nil && len(answer.Choices) > 0 {
		text = answer.Choices[0].Text
	}
`,
	catalog.Responses: `	var answer struct {
		OutputText string ` + "`json:\"output_text\"`" + `
		Output     []struct {
			Type    string ` + "`json:\"type\"`" + `
			Content []struct {
				Type string ` + "`json:\"type\"`" + `
				Text string ` + "`json:\"text\"`" + `
			} ` + "`json:\"content\"`" + `
		} ` + "`json:\"output\"`" + `
	}
	var text string
	if json.Unmarshal(data, &answer) == nil {
		text = answer.OutputText
		for _, item := range answer.Output {
			for _, part := range item.Content {
				if answer.OutputText == "" && item.Type == "message" && part.Type == "output_text" {
					text += part.Text
				}
			}
		}
	}
`,
}

// GoString is s as a Go string literal that reads back as s: a raw string
// when it can be one (no backtick, no carriage return, which the compiler
// drops from raw strings, valid UTF-8, only printable characters, newlines
// and tabs), else an interpreted literal (strconv.Quote).
func GoString(s string) string {
	if rawOK(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func rawOK(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c == '`' || c == '\uFEFF' || (c != '\n' && c != '\t' && !unicode.IsPrint(c)) {
			return false
		}
	}
	return true
}
