package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"testing"
)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randKey(rng *rand.Rand) string {
	n := 20 + rng.Intn(30)
	b := []byte("sk-")
	for range n {
		b = append(b, alnum[rng.Intn(len(alnum))])
	}
	return string(b)
}

// spellings returns texts embedding key and the strings none of whose
// 10-char windows may appear after redaction.
func spellings(rng *rand.Rand, key string) (text string, forbidden []string) {
	jsonEsc := strings.ReplaceAll(key, "-", `\u002d`)
	urlAll := ""
	for i := 0; i < len(key); i++ {
		urlAll += fmt.Sprintf("%%%02X", key[i])
	}
	pad := make([]byte, rng.Intn(3))
	for i := range pad {
		pad[i] = byte('A' + rng.Intn(26))
	}
	enc := base64.StdEncoding
	if rng.Intn(2) == 0 {
		enc = base64.URLEncoding
	}
	b64 := enc.EncodeToString(append(pad, key...))
	parts := []string{key, jsonEsc, url.QueryEscape(key), urlAll, b64}
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString(" word ")
		sb.WriteString(p)
	}
	sb.WriteString(" end")
	forbidden = []string{key, jsonEsc, urlAll}
	for off := range 3 {
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			if c := base64Core(e, key, off); c != "" {
				forbidden = append(forbidden, c)
			}
		}
	}
	return sb.String(), forbidden
}

func split(rng *rand.Rand, s string) []string {
	var out []string
	for len(s) > 0 {
		n := 1 + rng.Intn(12)
		if rng.Intn(4) == 0 {
			n = 1
		}
		n = min(n, len(s))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func leak(out string, forbidden []string) string {
	for _, f := range forbidden {
		for i := 0; i+10 <= len(f); i++ {
			if strings.Contains(out, f[i:i+10]) {
				return f[i : i+10]
			}
		}
	}
	return ""
}

// Random keys, each spelled plainly, JSON-escaped, URL-encoded and in
// base64, cut at random: no 10 characters of any spelling get out.
func TestRandomSplitsStream(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	fails := 0
	for iter := 0; iter < 2000; iter++ {
		key := randKey(rng)
		text, forb := spellings(rng, key)
		pieces := split(rng, text)
		st := Stream{R: redactorOf(rng, iter, key)}
		var out strings.Builder
		for _, p := range pieces {
			out.WriteString(st.Write(p))
		}
		out.WriteString(st.Flush())
		if w := leak(out.String(), forb); w != "" {
			fails++
			if fails <= 2 {
				t.Errorf("Stream leak %q key %q\npieces %q\nout %q", w, key, pieces, out.String())
			}
		}
	}
}

func TestRandomSplitsTokens(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	fails := 0
	for iter := 0; iter < 20000 && fails < 5; iter++ {
		key := randKey(rng)
		text, forb := spellings(rng, key)
		pieces := split(rng, text)
		r := redactorOf(rng, iter, key)
		var held []string
		var out strings.Builder
		for i, p := range pieces {
			toks := append(append([]string{}, held...), p)
			o, ready := r.Tokens(toks, i == len(pieces)-1)
			for _, t := range o[:ready] {
				out.WriteString(t)
			}
			held = o[ready:]
		}
		if w := leak(out.String(), forb); w != "" {
			fails++
			t.Errorf("Tokens leak %q key %q\npieces %q\nout %q", w, key, pieces, out.String())
		}
	}
}

// A transcript still arriving, cut after each event of a random split:
// what OpenTranscript shows never holds 10 characters of a spelling.
func TestRandomSplitsOpenTranscript(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for iter := 0; iter < 300; iter++ {
		key := randKey(rng)
		text, forb := spellings(rng, key)
		r := redactorOf(rng, iter, key)
		var raw strings.Builder
		for _, p := range split(rng, text) {
			q, _ := json.Marshal(p)
			fmt.Fprintf(&raw, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%s}}]}\n\n", q)
			if w := leak(string(r.OpenTranscript([]byte(raw.String()))), forb); w != "" {
				t.Fatalf("open transcript leaks %q of key %q:\n%s", w, key, raw.String())
			}
		}
		if w := leak(string(r.Transcript([]byte(raw.String()))), forb); w != "" {
			t.Fatalf("whole transcript leaks %q of key %q", w, key)
		}
	}
}

// redactorOf cycles through the ways a secret is redacted: as the key, as
// another secret beside no key, and as another secret beside a key.
func redactorOf(rng *rand.Rand, iter int, secret string) *Redactor {
	switch iter % 3 {
	case 1:
		return New("", secret)
	case 2:
		return New(randKey(rng), secret)
	}
	return New(secret)
}
