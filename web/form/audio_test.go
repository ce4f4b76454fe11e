package form

import (
	"net/url"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

var audioSchema = []catalog.Field{
	{Name: "modalities", Type: catalog.TypeStringList, Enum: []string{"text", "audio"}},
	{Name: "audio", Type: catalog.TypeJSON, JSONKind: "audio", RequiredWith: "modalities=audio"},
}

func TestAudioField(t *testing.T) {
	wav := `{"voice": "alloy", "format": "wav"}`
	tests := map[string]struct {
		in   url.Values
		want string // the audio field's error; "" for none
	}{
		"audio answer":             {url.Values{"modalities": {"text", "audio"}, "audio": {wav}}, ""},
		"pcm16, custom voice":      {url.Values{"modalities": {"audio"}, "audio": {`{"voice": {"id": "voice_1"}, "format": "pcm16"}`}}, ""},
		"text only, no audio":      {url.Values{"modalities": {"text"}}, ""},
		"neither":                  {url.Values{}, ""},
		"audio modality, no audio": {url.Values{"modalities": {"text", "audio"}}, "Required when modalities includes audio."},
		"audio without modality":   {url.Values{"audio": {wav}}, "Only with modalities including audio"},
		"audio with text only":     {url.Values{"modalities": {"text"}, "audio": {wav}}, "Only with modalities including audio"},
		"unknown voice":            {url.Values{"modalities": {"audio"}, "audio": {`{"voice": "robot", "format": "wav"}`}}, `voice "robot" is not one of alloy, ash`},
		"voice a number":           {url.Values{"modalities": {"audio"}, "audio": {`{"voice": 12, "format": "wav"}`}}, "voice must be one of"},
		"no voice":                 {url.Values{"modalities": {"audio"}, "audio": {`{"format": "wav"}`}}, "voice is required"},
		"bad custom voice":         {url.Values{"modalities": {"audio"}, "audio": {`{"voice": {"name": "x"}, "format": "wav"}`}}, "A custom voice is"},
		"unknown format":           {url.Values{"modalities": {"audio"}, "audio": {`{"voice": "ash", "format": "ogg"}`}}, "format must be one of wav, aac, mp3, flac, opus, pcm16."},
		"no format":                {url.Values{"modalities": {"audio"}, "audio": {`{"voice": "ash"}`}}, "format is required"},
		"unknown key":              {url.Values{"modalities": {"audio"}, "audio": {`{"voice": "ash", "format": "wav", "speed": 2}`}}, `Unknown key "speed"`},
		"not an object":            {url.Values{"modalities": {"audio"}, "audio": {`["alloy"]`}}, "Must be a JSON object"},
		"a response_format there":  {url.Values{"modalities": {"audio"}, "audio": {`{"type": "json_object"}`}}, `Unknown key "type"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vals, errs := Parse(audioSchema, tc.in)
			got := errs["audio"]
			if tc.want == "" {
				if got != "" {
					t.Fatalf("error %q", got)
				}
				if _, set := vals["audio"]; !set && tc.in.Get("audio") != "" {
					t.Error("the audio value is not sent")
				}
				return
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("error %q, want prefix %q (all: %v)", got, tc.want, errs)
			}
			if _, set := vals["audio"]; set {
				t.Error("the audio field in error still has a value")
			}
		})
	}
}

// The default catalog's Chat schemas carry the rule.
func TestCatalogAudioRule(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, m := range cat.Models {
		if f, ok := m.Field("audio"); ok {
			found++
			if f.JSONKind != "audio" || f.RequiredWith != "modalities=audio" {
				t.Errorf("%s: audio field %+v", m.Key(), f)
			}
		}
	}
	if found == 0 {
		t.Error("no model has an audio field")
	}
}
