package views

import "strconv"

// LPShade is one shade of the token-probability view: its class (lp-0 …
// lp-9, as static/js/app.js h.lp gives a token of probability p the class
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
