package views

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/run"
)

// LPShade is one shade of the token-probability view: its class (lp-0 …
// lp-9, as views/js/app.js h.lp gives a token of probability p the class
// lp-floor(10p)) and what it means.
type LPShade struct {
	Class string
	Label string
}

// LPShades are the legend of the token-probability view, least likely
// first; lp-8 and lp-9 (80 % or more) are not shaded and share one entry.
func LPShades() []LPShade {
	out := make([]LPShade, 0, 9)
	out = append(out, LPShade{"lp lp-0", "under 10%"})
	for k := 1; k <= 7; k++ {
		out = append(out, LPShade{"lp lp-" + strconv.Itoa(k), strconv.Itoa(k*10) + "–" + strconv.Itoa(k*10+10) + "%"})
	}
	return append(out, LPShade{"lp lp-8", "80% or more"})
}

// LPToken is one token of a stored answer as the token-probability view
// shows it, the same as app.js's h.lp draws a live one: its shade (lp-0 …
// lp-9), its text, the tooltip listing the alternatives, and Data, the
// token as the live event carries it ([token, logprob, [[alt, logprob] …]],
// JSON) for the alternatives' box.
type LPToken struct {
	Class, Text, Title, Data string
}

// LPTokens draws a stored answer's tokens.
func LPTokens(toks []run.TokenOutput) []LPToken {
	out := make([]LPToken, 0, len(toks))
	for _, t := range toks {
		p := math.Exp(t.Logprob)
		shade := min(9, max(0, int(math.Floor(p*10))))
		lines := []string{jsString(t.Token) + "  " + lpPct(t.Logprob)}
		alts := make([][2]any, len(t.Top))
		for i, a := range t.Top {
			lines = append(lines, "  "+jsString(a.Token)+"  "+lpPct(a.Logprob))
			alts[i] = [2]any{a.Token, a.Logprob}
		}
		var data bytes.Buffer
		enc := json.NewEncoder(&data)
		enc.SetEscapeHTML(false)
		enc.Encode([3]any{t.Token, t.Logprob, alts})
		out = append(out, LPToken{Class: "lp lp-" + strconv.Itoa(shade), Text: t.Token,
			Title: strings.Join(lines, "\n"), Data: strings.TrimSpace(data.String())})
	}
	return out
}

// lpPct is a log probability as a percentage to a tenth, as app.js writes it.
func lpPct(logprob float64) string {
	return strconv.FormatFloat(math.Exp(logprob)*100, 'f', 1, 64) + "%"
}

// jsString is s as JSON.stringify writes it (no HTML escaping).
func jsString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSpace(b.String())
}
