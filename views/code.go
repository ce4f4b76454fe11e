package views

import (
	"errors"
	"net/url"
	"strings"

	"github.com/playground-dev/playground/web/account"
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
	// Again is the paste, its keys taken out, that the keep-or-drop
	// choice and the add-provider form import again.
	Again string
	// Choice offers to keep the parameters the model's form does not
	// have as extra body fields, or to drop them; Dropping says they were
	// dropped (else kept).
	Choice, Dropping bool
	// Add offers to add the paste's base URL as the person's provider and
	// import the paste into it; nil when a provider has it.
	Add *ImportProvider
}

// ImportProvider is the import box's add-provider form (posted to
// POST /settings/providers with the paste): a name from the URL's host,
// the API style of its path, and what the form said when it was posted.
type ImportProvider struct {
	BaseURL, Name string
	Styles        []Check
	Errors        map[string]string
}

// NewImportBox is the box after an import of the paste: err when it
// could not be read at all, else what im says.
func NewImportBox(paste string, err error, im draft.Imported) ImportBox {
	// A paste shown back or carried never shows a key.
	scrubbed := curlimport.Scrub(paste)
	var b ImportBox
	if err != nil || im.Result.Model == nil {
		b.Text = scrubbed // it could not be read: nothing is lost
	}
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
		b.Add = &ImportProvider{BaseURL: np.BaseURL, Name: hostName(np.BaseURL), Styles: StyleChecks([]string{string(np.Style)})}
	}
	for _, n := range []string{im.KeyNote(), im.UnreadNote(), im.KeptNote()} {
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
	b.Choice, b.Dropping = im.Choice(), im.Dropping
	if b.Choice || b.Add != nil {
		b.Again = scrubbed
	}
	b.Open = b.Error != "" || len(b.Notes) > 0
	return b
}

// hostName names a provider after its base URL's host, without a
// leading "api." ("llm.example.com" of https://api.llm.example.com/v1),
// cut to the length a provider's name may have.
func hostName(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	name := strings.TrimPrefix(u.Hostname(), "api.")
	if r := []rune(name); len(r) > account.MaxNameLength {
		name = string(r[:account.MaxNameLength])
	}
	return name
}

// WithAdd is the box showing the add-provider form as it was posted,
// with its errors (AddProvider refused it).
func (b ImportBox) WithAdd(name, baseURL string, styles []string, errs map[string]string) ImportBox {
	b.Add = &ImportProvider{BaseURL: baseURL, Name: name, Styles: StyleChecks(styles), Errors: errs}
	b.Open = true
	return b
}

// choiceClass is a choice button's class: the current one stands out.
func choiceClass(current bool) string {
	if current {
		return "btn"
	}
	return "btn-secondary"
}

// pressed is an aria-pressed value.
func pressed(on bool) string {
	if on {
		return "true"
	}
	return "false"
}

// dropVals are the hx-vals of an import choice: drop=1 to drop.
func dropVals(choice string) string {
	if choice == "drop" {
		return `{"drop": "1"}`
	}
	return `{"drop": ""}`
}
