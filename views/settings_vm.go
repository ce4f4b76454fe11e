package views

import (
	"errors"
	"strconv"
	"strings"

	"github.com/playground-dev/playground/web/account"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/problem"
)

// SettingsPage is the settings page: the session's keys and providers.
type SettingsPage struct {
	Title  string
	Assets Assets
	CSRF   string
	Flash  string
	// FlashWarn shows the flash as a warning.
	FlashWarn bool
	Keys      []KeyRow
	Mine      []MyProvider
	Add       AddProviderForm
	// Guarded says person-supplied URLs are checked against private
	// addresses.
	Guarded      bool
	MaxProviders int
}

// KeyRow is one provider's key: masked when the session has one.
type KeyRow struct {
	ID       string
	Name     string
	Masked   string // the session's key, masked; "" when it has none
	Operator bool   // the operator set a key for this provider
	Env      string
	Error    string
}

// SetURL and ClearURL are where the row's forms post.
func (k KeyRow) SetURL() string   { return "/settings/keys/" + k.ID }
func (k KeyRow) ClearURL() string { return "/settings/keys/" + k.ID + "/clear" }

// MyProvider is a provider the person added.
type MyProvider struct {
	KeyRow
	BaseURL     string
	Styles      string
	Models      string
	ModelsError string
	// Headers name its extra headers and the variable curl reads each
	// value from (the values are never shown again).
	Headers []HeaderRow
	// StyleOptions are its API styles when it speaks several; then each
	// listed model (ModelIDs) can get its own (Choices, StyleError).
	StyleOptions []string
	ModelIDs     []string
	Choices      []StyleChoice
	StyleError   string
}

// HeaderRow is one extra header of a provider the person added.
type HeaderRow struct {
	Name string
	Env  string
}

// StyleChoice is the API style chosen for one listed model.
type StyleChoice struct {
	Model string
	Style string
}

// StylesURL is where the per-model style form posts.
func (p MyProvider) StylesURL() string { return "/settings/providers/" + p.ID + "/styles" }

// RefreshURL and RemoveURL are where the row's buttons post.
func (p MyProvider) RefreshURL() string { return "/settings/providers/" + p.ID + "/refresh" }
func (p MyProvider) RemoveURL() string  { return "/settings/providers/" + p.ID + "/remove" }

// AddProviderForm is the "add a provider" form as submitted (never with
// the key: keys are not sent back to the browser).
type AddProviderForm struct {
	Name    string
	BaseURL string
	Styles  []Check
	// Headers are the header rows as the person typed them (their own
	// input, shown back only into the fields of this form).
	Headers []account.Header
	Errors  map[string]string
}

// HeaderInputs are the header rows of the form: those submitted, then
// empty ones up to account.MaxHeaders.
func (f AddProviderForm) HeaderInputs() []account.Header {
	rows := append([]account.Header(nil), f.Headers...)
	for len(rows) < account.MaxHeaders {
		rows = append(rows, account.Header{})
	}
	return rows
}

// HeaderRows reads the submitted header rows back for the form.
func HeaderRows(names, values []string) []account.Header {
	var out []account.Header
	for i := 0; i < len(names) && i < account.MaxHeaders; i++ {
		h := account.Header{Name: names[i]}
		if i < len(values) {
			h.Value = values[i]
		}
		out = append(out, h)
	}
	return out
}

// SettingsInput is what NewSettings needs from the handler.
type SettingsInput struct {
	Catalog  *catalog.Catalog // the operator's catalog, without the session's providers
	Account  account.Account
	Operator func(*catalog.Provider) bool
	Models   func(account.Provider) ([]string, error)
	Add      AddProviderForm
	KeyError map[string]string // provider id -> message
	// StyleError is the message of the per-model style form, by provider id.
	StyleError map[string]string
	Guarded    bool
}

// NewSettings builds the settings page.
func NewSettings(in SettingsInput) SettingsPage {
	pg := SettingsPage{Title: "Settings · Playground", Add: in.Add, Guarded: in.Guarded, MaxProviders: account.MaxProviders}
	for _, p := range in.Catalog.Providers {
		if p.Simulated {
			continue
		}
		pg.Keys = append(pg.Keys, newKeyRow(p.ID, p.Name, p.APIKeyEnv, in.Account, in.Operator(p), in.KeyError))
	}
	for _, up := range in.Account.Providers {
		mp := MyProvider{KeyRow: newKeyRow(up.ID, up.Name, up.KeyEnv(), in.Account, false, in.KeyError), BaseURL: up.BaseURL}
		styles := make([]string, len(up.Styles))
		for i, s := range up.Styles {
			styles[i] = string(s)
		}
		mp.Styles = strings.Join(styles, ", ")
		for _, h := range up.Headers {
			mp.Headers = append(mp.Headers, HeaderRow{Name: h.Name, Env: up.HeaderEnv(h.Name)})
		}
		ids, err := in.Models(up)
		if len(up.Styles) > 1 {
			mp.StyleOptions, mp.ModelIDs, mp.StyleError = styles, ids, in.StyleError[up.ID]
			for _, id := range ids {
				if s, ok := up.StyleOf(id); ok {
					mp.Choices = append(mp.Choices, StyleChoice{Model: id, Style: string(s)})
				}
			}
		}
		if errors.Is(err, account.ErrListing) {
			mp.Models = "Its models are still loading: " + problem.Of(err).Message + "."
		} else if err != nil {
			mp.ModelsError = "Could not list its models: " + problem.Of(err).Message
		} else {
			mp.Models = Plural(len(ids), "model", "models") + " listed"
			if len(ids) > 0 {
				mp.Models += ": " + strings.Join(first(ids, 6), ", ")
				if len(ids) > 6 {
					mp.Models += ", … (" + strconv.Itoa(len(ids)-6) + " more)"
				}
			}
		}
		pg.Mine = append(pg.Mine, mp)
	}
	if pg.Add.Errors == nil {
		pg.Add.Errors = map[string]string{}
	}
	if len(pg.Add.Styles) == 0 {
		pg.Add.Styles = StyleChecks([]string{string(catalog.Chat)})
	}
	return pg
}

// StyleChecks are the API style checkboxes with the given ones ticked.
func StyleChecks(ticked []string) []Check {
	var out []Check
	for _, s := range []catalog.Style{catalog.Chat, catalog.Responses, catalog.Completions} {
		c := Check{Value: string(s)}
		for _, t := range ticked {
			c.Checked = c.Checked || t == string(s)
		}
		out = append(out, c)
	}
	return out
}

func newKeyRow(id, name, env string, a account.Account, operator bool, errs map[string]string) KeyRow {
	r := KeyRow{ID: id, Name: name, Operator: operator, Env: env, Error: errs[id]}
	if k := a.Key(id); k != "" {
		r.Masked = account.Mask(k)
	}
	return r
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func keyPlaceholder(k KeyRow) string {
	if k.Masked != "" {
		return "Replace your key"
	}
	return "Your key (curl reads $" + k.Env + ")"
}
