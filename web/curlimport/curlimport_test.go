package curlimport

import (
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/curl"
	"github.com/playground-dev/playground/web/request"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, cmd   string
		method, url string
		body        string
		key, keyVar string
		headers     []Header
	}{
		{
			name: "the OpenAI documentation",
			cmd: `curl https://api.openai.com/v1/chat/completions \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OPENAI_API_KEY" \
  -d '{
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`,
			method: "POST", url: "https://api.openai.com/v1/chat/completions",
			body: "{\n    \"model\": \"gpt-4o-mini\",\n    \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}]\n  }",
			key:  "variable", keyVar: "OPENAI_API_KEY",
			headers: []Header{{"Content-Type", "application/json"}, {"Authorization", ""}},
		},
		{
			name: "Postman, with a key written in",
			cmd: `curl --location 'https://api.example.com/v1/responses' \
--header 'Content-Type: application/json' \
--header 'Authorization: Bearer sk-proj-abcdefghijklmnop' \
--data '{"model":"gpt-5-mini","input":"Hi"}'`,
			method: "POST", url: "https://api.example.com/v1/responses",
			body: `{"model":"gpt-5-mini","input":"Hi"}`, key: "literal",
			headers: []Header{{"Content-Type", "application/json"}, {"Authorization", ""}},
		},
		{
			name:   "a browser's copy as curl",
			cmd:    `curl 'https://gw.example/v1/chat/completions' -H 'accept: text/event-stream' -H 'content-type: application/json' --data-raw $'{"model":"m","messages":[{"role":"user","content":"It\'s\\nfine"}]}' --compressed`,
			method: "POST", url: "https://gw.example/v1/chat/completions",
			body:    `{"model":"m","messages":[{"role":"user","content":"It's\nfine"}]}`,
			headers: []Header{{"accept", "text/event-stream"}, {"content-type", "application/json"}},
		},
		{
			name:   "--json and an explicit method",
			cmd:    `curl -sS -X POST --json '{"a":1}' https://x.example/v1/completions`,
			method: "POST", url: "https://x.example/v1/completions", body: `{"a":1}`,
			headers: []Header{{"Content-Type", "application/json"}},
		},
		{
			name:   "a base URL from a variable",
			cmd:    `curl -g -N "$CHATGW_BASE_URL/chat/completions" -H 'x-api-key: $KEY' -d @-`,
			method: "POST", url: "$CHATGW_BASE_URL/chat/completions", body: "@-",
			headers: []Header{{"x-api-key", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.cmd)
			if tt.name == "a base URL from a variable" {
				// -d @- reads stdin: refused, not guessed.
				if err == nil || !strings.Contains(err.Error(), "reads the body from a file") {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tt.method || r.URL != tt.url || string(r.Body) != tt.body || r.Key != tt.key || r.KeyVar != tt.keyVar {
				t.Errorf("got %s %s body %q key %q %q", r.Method, r.URL, r.Body, r.Key, r.KeyVar)
			}
			if len(r.Header) != len(tt.headers) {
				t.Fatalf("headers %+v, want %+v", r.Header, tt.headers)
			}
			for i := range tt.headers {
				if r.Header[i] != tt.headers[i] {
					t.Errorf("header %d = %+v, want %+v", i, r.Header[i], tt.headers[i])
				}
			}
			for _, h := range r.Header {
				if strings.Contains(h.Value, "sk-") {
					t.Errorf("the key was kept: %+v", h)
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for cmd, want := range map[string]string{
		`wget https://x`: "not curl",
		`curl -d "$(cat body.json)" https://x.example/v1`: "runs something",
		`curl -F file=@a.png https://x.example/v1`:        "not a JSON request",
		`curl`:                                     "no URL",
		`curl 'unterminated`:                       "not a command bash can read",
		`curl ftp://x.example/`:                    "not an http(s) URL",
		`curl -H 'nocolon' https://x.example`:      "has no name",
		`curl https://a.example https://b.example`: "two URLs",
		``: "no command",
	} {
		if _, err := Parse(cmd); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", cmd, err, want)
		}
	}
}

// TestParseReadsThePlaygroundsCurl: the curl this playground writes comes
// back as the same request, hostile bytes and all.
func TestParseReadsThePlaygroundsCurl(t *testing.T) {
	for _, body := range []string{
		`{"prompt":"It's a \"test\" with $HOME and ` + "`id`" + ` and \\ and 世界 🙂"}`,
		"{\n  \"messages\": [{\"role\": \"user\", \"content\": \"line one\\nline two </script>\"}]\n}",
	} {
		r := &request.Request{Method: "POST", BaseURL: "https://gw.example/v1", Path: "/chat/completions",
			Header: []request.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "text/event-stream"}},
			KeyEnv: "GW_API_KEY", Body: []byte(body), Stream: true}
		got, err := Parse(curl.Render(r))
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Body) != body || got.URL != "https://gw.example/v1/chat/completions" || got.KeyVar != "GW_API_KEY" {
			t.Errorf("read back %s %q key %q; want the body %q", got.URL, got.Body, got.KeyVar, body)
		}
	}
}

// FuzzParse: any text is refused or read, never a panic, and a written key
// never comes back.
func FuzzParse(f *testing.F) {
	f.Add(`curl https://x.example -H "Authorization: Bearer sk-abc" -d '{}'`)
	f.Add(`curl $'\x41' --url=https://y.example`)
	f.Fuzz(func(t *testing.T, cmd string) {
		r, err := Parse(cmd)
		if err != nil {
			return
		}
		for _, h := range r.Header {
			if strings.EqualFold(h.Name, "authorization") && h.Value != "" {
				t.Fatalf("a key header kept its value: %+v", h)
			}
		}
	})
}

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		`curl -H "Authorization: Bearer sk-proj-abcdefghijkl" --bad`: `curl -H "Authorization: Bearer [key removed]" --bad`,
		`-H 'x-api-key: abc123secret'`:                               `-H 'x-api-key: [key removed]'`,
		`-H "Authorization: Bearer $OPENAI_API_KEY"`:                 `-H "Authorization: Bearer $OPENAI_API_KEY"`,
		`the key is sk-abcdefghijklmnop, really`:                     `the key is [key removed], really`,
	} {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
