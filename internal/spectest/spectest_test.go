package spectest

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := map[string]struct {
		component, body string
		wantErr         string
		unknown         string
	}{
		"valid chat":              {"CreateChatCompletionRequest", `{"model":"m","messages":[{"role":"user","content":"hi"}],"n":2}`, "", ""},
		"extension reported":      {"CreateChatCompletionRequest", `{"model":"m","messages":[{"role":"user","content":"hi"}],"top_k":4}`, "", "top_k"},
		"bad temperature":         {"CreateChatCompletionRequest", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}`, "temperature", ""},
		"missing messages":        {"CreateChatCompletionRequest", `{"model":"m"}`, "messages", ""},
		"bad role":                {"CreateChatCompletionRequest", `{"model":"m","messages":[{"role":"wizard","content":"hi"}]}`, "messages", ""},
		"responses image":         {"CreateResponse", `{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"x"},{"type":"input_image","image_url":"https://a/b.png","detail":"auto"}]}]}`, "", ""},
		"responses bad effort":    {"CreateResponse", `{"model":"m","input":"x","reasoning":{"effort":"extreme"}}`, "effort", ""},
		"completions n kept as n": {"CreateCompletionRequest", `{"model":"m","prompt":"x","n":200}`, "n", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			unknown, err := Check(t, tc.component, []byte(tc.body))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
			if got := strings.Join(unknown, ","); got != tc.unknown {
				t.Errorf("unknown keys %q, want %q", got, tc.unknown)
			}
		})
	}
}
