package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestTokenProbabilityLegend: a run panel's choice template holds the
// token-probability box: a legend of every shade app.js gives (lp-0 …
// lp-7 shaded, 80% or more not), the view the tokens go into and the box
// of a token's alternatives, hidden until a token is tapped.
func TestTokenProbabilityLegend(t *testing.T) {
	d := render(t, RunPanel(Run{ID: "r1", EventsURL: "/runs/r1/events"}))
	box := d.Find(`template[data-tpl="choice"] [data-testid="lp-box"]`)
	if box.Length() != 1 || box.AttrOr("hidden", "x") == "x" {
		t.Fatalf("%d token-probability boxes, hidden %v", box.Length(), box.AttrOr("hidden", "x") != "x")
	}
	var shades []string
	box.Find(`[data-testid="lp-legend"] .lp-legend-item`).Each(func(_ int, s *goquery.Selection) {
		shades = append(shades, s.Find(".lp-swatch").AttrOr("class", "")+" = "+s.Text())
	})
	want := []string{"lp lp-0 lp-swatch = under 10%", "lp lp-1 lp-swatch = 10–20%", "lp lp-7 lp-swatch = 70–80%", "lp lp-8 lp-swatch = 80% or more"}
	got := strings.Join(shades, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the legend lacks %q:\n%s", w, got)
		}
	}
	if len(shades) != 9 {
		t.Errorf("%d shades in the legend, want 9", len(shades))
	}
	if n := box.Find(`[data-lp-area] [data-testid="lp-view"]`).Length(); n != 1 {
		t.Errorf("%d token views in the box", n)
	}
	if pop := box.Find(`[data-testid="lp-pop"]`); pop.Length() != 1 || pop.AttrOr("role", "") != "dialog" || pop.AttrOr("hidden", "x") == "x" {
		t.Errorf("the alternatives' box: %d, role %q", pop.Length(), pop.AttrOr("role", ""))
	}
}
