package views

import (
	"errors"
	"strings"

	"github.com/playground-dev/playground/web/curlimport"
	"github.com/playground-dev/playground/web/draft"
	"github.com/playground-dev/playground/web/problem"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/snippet"
)

// CodeTab is one language of the code panel: its code as shown, where to
// download it exactly, and what its client sends beyond the request.
type CodeTab struct {
	Lang, Label, Code, Download string
	AlsoSends                   string
}

// codeTabs are the languages beside curl for the request the preview
// built; none when the request is shortened for the page (a long prompt):
// its code is then had from the download links only.
func codeTabs(r draft.Result) []CodeTab {
	if r.Request == nil || r.CurlShown != r.Curl {
		return nil
	}
	return snippetTabs(r.Request, "/draft/snippet/")
}

// snippetTabs are req in every language beside curl; download is the
// route their files are saved from ("" for none).
func snippetTabs(req *request.Request, download string) []CodeTab {
	var out []CodeTab
	for _, s := range snippet.All(req) {
		if s.Lang == "curl" {
			continue
		}
		t := CodeTab{Lang: s.Lang, Label: s.Label, Code: s.Code}
		if download != "" {
			t.Download = download + s.Lang + "?download=1"
		}
		t.AlsoSends = alsoSends(s)
		out = append(out, t)
	}
	return out
}

// alsoSends says what s's client sends and does beyond the request: "The
// SDK also sends X-Stainless-Lang, …; it retries twice on errors."
func alsoSends(s snippet.Snippet) string {
	who := "Its client"
	if s.SDK {
		who = "The SDK"
	}
	var out string
	if len(s.AlsoSends) > 0 {
		out = who + " also sends " + strings.Join(s.AlsoSends, ", ") + "."
	}
	if s.Note != "" {
		out = strings.TrimSpace(out + " " + s.Note)
	}
	return out
}

// ImportBox is the playground's box for pasting a curl command or a JSON
// body: what was pasted (kept when it could not be read), the reason it
// could not, and what the import says of the request it read.
type ImportBox struct {
	Text  string
	Error string
	Notes []string
	// Open: the box shows open (it has something to say).
	Open bool
}

// NewImportBox is the box after an import: err when the paste could not
// be read at all, else what im says.
func NewImportBox(text string, err error, im draft.Imported) ImportBox {
	// A paste shown back (it could not be read) never shows a key.
	b := ImportBox{Text: curlimport.Scrub(text)}
	var ce *curlimport.Error
	switch {
	case errors.As(err, &ce):
		b.Error = ce.Message // said for the person
	case err != nil:
		b.Error = problem.Of(err).Message
	}
	for _, p := range im.Problems {
		b.Notes = append(b.Notes, p.Message)
	}
	if np := im.NewProvider; np != nil {
		b.Notes = append(b.Notes, "No provider here has the base URL "+np.BaseURL+": add it in Settings (Your providers), then import again.")
	}
	for _, n := range []string{im.KeyNote(), im.UnreadNote()} {
		if n != "" {
			b.Notes = append(b.Notes, n)
		}
	}
	if len(im.Headers) > 0 {
		b.Notes = append(b.Notes, "Not sent by the playground: the headers "+strings.Join(im.Headers, ", ")+".")
	}
	if err == nil && im.Result.Model != nil {
		b.Notes = append([]string{"Imported into " + im.Result.Provider.Name + " · " + im.Result.Model.Label() + "."}, b.Notes...)
	}
	b.Open = b.Error != "" || len(b.Notes) > 0
	return b
}
