package views

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/form"
	"github.com/playground-dev/playground/web/markdown"
	"github.com/playground-dev/playground/web/units"
)

func itoa(n int) string { return strconv.Itoa(n) }

func lower(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "-")) }

// Plural writes a count with its noun: "1 model", "3 models".
func Plural(n int, one, many string) string { return units.Plural(n, one, many) }

func defaultOption(f Field) string {
	if f.Placeholder != "" {
		return "default (" + f.Placeholder + ")"
	}
	return "not set"
}

func listID(f Field) string {
	if !f.FreeEnum {
		return ""
	}
	return f.ID + "-list"
}

func syncID(f Field) string {
	if !f.Slider {
		return ""
	}
	return f.ID + "-range"
}

func rowID(f Field, i int) string {
	if i == 0 {
		return f.ID
	}
	return f.ID + "-" + strconv.Itoa(i)
}

// linkRel is the rel of a link to a person's remote image, as of every
// link in model output.
const linkRel = markdown.LinkRel

// thumbSrc is the thumbnail source of an image URL: the URL itself when it
// is inline data (markdown.InlineImage), else "". A remote image is never
// loaded by the page (CSP img-src 'self' data:): it gets thumbHref.
// views/js/app.js makes the same choice as the person types.
func thumbSrc(u string) string {
	if u == "" || form.CheckImageURL(u) != "" || !markdown.InlineImage(u) {
		return ""
	}
	return u
}

// thumbHref is the link that opens a remote image in a new tab, "" when
// the URL is not an http(s) image URL.
func thumbHref(u string) string {
	if u == "" || form.CheckImageURL(u) != "" || !markdown.LinkableURL(u) {
		return ""
	}
	return u
}

// SliderValue positions a slider: the value, else the default, else the
// minimum.
func (f Field) SliderValue() string {
	if _, err := strconv.ParseFloat(f.Value, 64); err == nil {
		return f.Value
	}
	return f.SliderValue0()
}

// SliderValue0 is the slider position of an empty field: the default,
// else the documentation's example, else the middle of its range. It is
// never the minimum standing for "not set": an unset slider is marked
// (data-unset) and nothing is sent.
func (f Field) SliderValue0() string {
	for _, v := range []string{f.DefaultValue, f.ExampleValue} {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return v
		}
	}
	lo, err1 := strconv.ParseFloat(f.Min, 64)
	hi, err2 := strconv.ParseFloat(f.Max, 64)
	if err1 != nil || err2 != nil {
		return f.Min
	}
	return num((lo + hi) / 2)
}

// SliderUnset: the field is empty, so its slider shows a resting place,
// not a value that is sent.
func (f Field) SliderUnset() bool {
	_, err := strconv.ParseFloat(f.Value, 64)
	return err != nil
}

// csrfHeaders is the hx-headers value that makes htmx send the token.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

// orWhole names the root JSON Pointer.
func orWhole(path string) string {
	if path == "" {
		return "(the whole answer)"
	}
	return path
}

// unsetTitle is an unset slider's tooltip (app.js puts it back when the
// field is cleared).
const unsetTitle = "Not set: nothing is sent and the provider's default applies. Move the slider or type a value to set it."
