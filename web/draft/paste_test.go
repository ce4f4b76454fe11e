package draft

import (
	"strings"
	"testing"
)

func TestReadPaste(t *testing.T) {
	for _, tc := range []struct {
		text       string
		body, curl bool
		err        string
	}{
		{"  ", false, false, "Paste a curl command"},
		{`{"model":"m"}`, true, false, ""},
		{`curl https://api.example/v1/chat/completions -d '{}'`, false, true, ""},
		{`wget https://api.example`, false, false, "not curl"},
	} {
		p, err := ReadPaste(tc.text, "sim", "m1")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil || (p.Body != nil) != tc.body || (p.Curl != nil) != tc.curl || p.Provider != "sim" || p.Model != "m1" {
			t.Errorf("%q: %+v %v", tc.text, p, err)
		}
	}
}
