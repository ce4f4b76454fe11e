package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

const key = "sk-OPERATORopenai/SECRET1234567890"

func TestStringSpellings(t *testing.T) {
	r := New(key)
	jsonEsc := strings.ReplaceAll(strings.ReplaceAll(key, "-", `\u002d`), "/", `\/`)
	tests := map[string]string{
		"as is":             "key " + key + " end",
		"json escapes":      "key " + jsonEsc + " end",
		"json upper hex":    "key " + strings.ReplaceAll(key, "-", `\u002D`) + " end",
		"json in json":      "key " + strings.ReplaceAll(key, "-", `\\u002d`) + " end",
		"every char escape": "key " + `\u0073\u006b` + key[2:] + " end",
		"url encoded":       "key " + strings.ReplaceAll(strings.ReplaceAll(key, "-", "%2D"), "/", "%2f") + " end",
		"html references":   "key " + strings.ReplaceAll(strings.ReplaceAll(key, "-", "&#45;"), "/", "&#x2F;") + " end",
		"base64":            "key " + base64.StdEncoding.EncodeToString([]byte(key)) + " end",
		"base64 of bearer":  "key " + base64.StdEncoding.EncodeToString([]byte("Bearer "+key)) + " end",
		"base64 url":        "key " + base64.RawURLEncoding.EncodeToString([]byte("x:"+key)) + " end",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			got := r.String(in)
			if !strings.Contains(got, Mask) || strings.Contains(got, "OPERATOR") || strings.Contains(got, "T1RF") {
				t.Errorf("%q -> %q", in, got)
			}
			if !strings.HasPrefix(got, "key ") || !strings.HasSuffix(got, " end") {
				t.Errorf("the text around the key changed: %q", got)
			}
		})
	}
}

func TestShortKeyRedactsNothing(t *testing.T) {
	for _, k := range []string{"", "a", "sk-1234"} {
		if got := New(k).String("a sk-1234 b"); got != "a sk-1234 b" {
			t.Errorf("key %q: %q", k, got)
		}
	}
	var r *Redactor
	if r.String("x") != "x" || r.Active() {
		t.Error("a nil redactor redacts")
	}
}

func TestNearMissesStay(t *testing.T) {
	r := New(key)
	for _, s := range []string{"sk-OPERATORopenai/SECRET123456789", "100% & \\u0041 &#45 %zz sk-", strings.Repeat("s", 1000)} {
		if got := r.String(s); got != s {
			t.Errorf("%q -> %q", s, got)
		}
	}
}

// A key cut into pieces, in any encoding, is held back until it is whole
// and then masked; what is not the key comes out, the held tail at the
// end.
func TestStreamHoldsBackSplitKey(t *testing.T) {
	r := New(key)
	esc := strings.ReplaceAll(key, "-", `\u002d`)
	b64 := base64.StdEncoding.EncodeToString([]byte("Bearer " + key))
	for name, in := range map[string]string{"plain": "your key is " + key + ", fine", "escaped": "k=" + esc + "!",
		"base64": "Authorization: Basic " + b64 + " (echoed)"} {
		for cut := 1; cut < len(in); cut++ {
			var st Stream
			st.R = r
			out := st.Write(in[:cut]) + st.Write(in[cut:]) + st.Flush()
			if strings.Contains(out, "OPERATOR") || strings.Contains(out, b64[12:30]) || !strings.Contains(out, Mask) {
				t.Fatalf("%s cut at %d: %q", name, cut, out)
			}
		}
	}
	// Base64 of the key itself starts "c2st": a cut after "c2s" ends the
	// piece in the key's first byte too. At no cut does any run of the
	// core get out.
	for _, enc := range []string{base64.StdEncoding.EncodeToString([]byte(key)), b64} {
		in := "Basic " + enc + " done"
		for cut := 1; cut < len(in); cut++ {
			var st Stream
			st.R = r
			out := st.Write(in[:cut]) + st.Write(in[cut:]) + st.Flush()
			for j := 6; j+8 <= len(enc)-4; j++ {
				if strings.Contains(out, enc[j:j+8]) {
					t.Fatalf("base64 %q cut at %d: %q", enc[:8], cut, out)
				}
			}
		}
	}
	// Byte by byte, and a tail that never becomes the key.
	var st Stream
	st.R = r
	var out strings.Builder
	in := "abc " + key + " and sk-OPER"
	for i := range len(in) {
		out.WriteString(st.Write(in[i : i+1]))
	}
	if st.Held() != "sk-OPER" {
		t.Errorf("held %q", st.Held())
	}
	out.WriteString(st.Flush())
	if out.String() != "abc "+Mask+" and sk-OPER" {
		t.Errorf("got %q", out.String())
	}
}

// Pieces of the key in successive events of one channel are found in the
// transcript; other channels and other lines are untouched.
func TestTranscriptSplitAcrossEvents(t *testing.T) {
	r := New(key)
	half := len(key) / 2
	raw := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"key: " + key[:half] + "\"}}]}\n\n" +
		": a comment\n\n" +
		"data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}}]}\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.ReplaceAll(key[half:], "/", `\/`) + " done\"}}]}\n\n" +
		"data: {\"type\":\"response.reasoning_text.delta\",\"delta\":\"sk\\u002dOPER\"}\n\n" +
		"data: {\"type\":\"response.reasoning_text.delta\",\"delta\":\"" + key[7:] + "\"}\n\n" +
		"data: [DONE]\n\n"
	got := string(r.Transcript([]byte(raw)))
	for _, piece := range []string{key[:half], key[half:], "OPER", "SECRET"} {
		if strings.Contains(got, piece) {
			t.Errorf("piece %q left in\n%s", piece, got)
		}
	}
	for _, keep := range []string{`"content":"key: [redacted]"`, `"content":" done"`, "other", ": a comment\n", "data: [DONE]\n\n"} {
		if !strings.Contains(got, keep) {
			t.Errorf("%q missing from\n%s", keep, got)
		}
	}
}

func TestTokens(t *testing.T) {
	const key = "sk-OPERATORopenaiSECRET1234567890"
	r := New(key)
	cases := []struct {
		name  string
		toks  []string
		final bool
		out   []string
		ready int
	}{
		{"no key", []string{"Hello", " world"}, false, []string{"Hello", " world"}, 2},
		{"a key over four tokens", []string{"key: ", "sk-OPER", "ATORopenai", "SECRET1234567890", " end"}, false,
			[]string{"key: ", Mask, "", "", " end"}, 5},
		{"the key begins inside a token", []string{"x=sk-OPER", "ATORopenaiSECRET12345678", "90!"}, false,
			[]string{"x=" + Mask, "", "!"}, 3},
		{"a tail that could be the key waits", []string{"a", " b", " sk-OPER", "ATOR"}, false,
			[]string{"a", " b"}, 2},
		{"at the end it is not the key", []string{"a", " sk-OPER", "ATOR"}, true,
			[]string{"a", " sk-OPER", "ATOR"}, 3},
		{"JSON-escaped over two tokens", []string{`"sk\u002dOPERATOR`, `openaiSECRET1234567890"`}, false,
			[]string{`"` + Mask, `"`}, 2},
		{"two keys in one token", []string{key + " and " + key}, false, []string{Mask + " and " + Mask}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ready := r.Tokens(c.toks, c.final)
			if ready != c.ready || strings.Join(out[:ready], "|") != strings.Join(c.out, "|") {
				t.Errorf("Tokens(%q) = %q, %d; want %q, %d", c.toks, out[:ready], ready, c.out, c.ready)
			}
		})
	}
	// The key ends inside a token that is held for what follows it (a
	// letter that could start the key's base64): the held token no longer
	// has the key's end.
	out, ready := r.Tokens([]string{"key: ", "sk-OPERATOR", "openaiSECRET12345678", "90 c"}, false)
	if ready != 3 || out[3] != " c" {
		t.Errorf("held token %q (ready %d)", out[3], ready)
	}
	out, _ = r.Tokens([]string{out[3], "ool"}, true)
	if got := strings.Join(out, ""); got != " cool" {
		t.Errorf("after the held token: %q", got)
	}
	// A base64 spelling spread over small tokens.
	b64 := base64.StdEncoding.EncodeToString([]byte("u:" + key))
	var held, shownToks []string
	for i := 0; i < len(b64); i += 3 {
		o, n := r.Tokens(append(held, b64[i:min(i+3, len(b64))]), false)
		shownToks = append(shownToks, o[:n]...)
		held = o[n:]
	}
	o, _ := r.Tokens(append(held, " end"), true)
	if got := strings.Join(append(shownToks, o...), ""); strings.Contains(got, b64[8:24]) || !strings.Contains(got, Mask) {
		t.Errorf("base64 over tokens: %q", got)
	}

	// Fed token by token, the key never shows.
	toks := []string{"the ", "key ", "is ", "sk-", "OPERATOR", "openai", "SECRET", "123", "456", "7890", ", done"}
	held = nil
	var shownText strings.Builder
	for _, tok := range toks {
		out, ready := r.Tokens(append(held, tok), false)
		shownText.WriteString(strings.Join(out[:ready], ""))
		held = append([]string(nil), out[ready:]...)
	}
	out, _ = r.Tokens(held, true)
	shownText.WriteString(strings.Join(out, ""))
	shown := shownText.String()
	if got := shown; strings.Contains(got, "OPERATOR") || got != "the key is "+Mask+", done" {
		t.Errorf("token by token: %q", got)
	}
}
