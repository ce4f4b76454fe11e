package draft

import (
	"net/url"
	"testing"

	"github.com/playground-dev/playground/web/form"
)

// TestOpening: the URL's model wins, then the last form's, then the last
// pick; the last form's values always come along, as from their model.
func TestOpening(t *testing.T) {
	saved := Saved{Provider: "sim", Model: "a", Form: form.Decode(url.Values{"temperature": {"0.5"}})}
	for name, c := range map[string]struct {
		provider, model string
		hasSaved        bool
		want            Input
	}{
		"the URL's model, with the last form": {"openai", "b", true, Input{Provider: "openai", Model: "b", PrevProvider: "sim", PrevModel: "a", Form: saved.Form}},
		"the last form":                       {"", "", true, Input{Provider: "sim", Model: "a", PrevProvider: "sim", PrevModel: "a", Form: saved.Form}},
		"the last pick":                       {"", "", false, Input{Provider: "picked", Model: "p"}},
		"the URL's model, nothing kept":       {"openai", "b", false, Input{Provider: "openai", Model: "b"}},
	} {
		got := Opening(c.provider, c.model, saved, c.hasSaved, "picked", "p")
		if got.Provider != c.want.Provider || got.Model != c.want.Model || got.PrevProvider != c.want.PrevProvider ||
			got.PrevModel != c.want.PrevModel || got.Form.Values().Encode() != c.want.Form.Values().Encode() {
			t.Errorf("%s: %+v, want %+v", name, got, c.want)
		}
	}
}
