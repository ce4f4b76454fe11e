package form

import (
	"net/url"
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
)

// Turn is one message of the prompt, whatever shape the model takes it in.
type Turn struct{ Role, Content string }

// isSystemField reports whether f holds the system prompt (a system
// message transform or the Responses instructions).
func isSystemField(f catalog.Field) bool {
	return f.Transform == catalog.TransformSystemMessage || (f.Transform == "" && f.BodyPath() == "instructions")
}

// Conversation reads the prompt of m's form as messages.
func Conversation(m *catalog.Model, form url.Values) []Turn {
	var sys, rest []Turn
	for _, f := range m.Fields() {
		switch {
		case f.Type == catalog.TypeMessages:
			for _, r := range MessageRows(f, form) {
				rest = append(rest, Turn{r.Role, r.Content})
			}
		case isSystemField(f):
			if v := form.Get(f.Name); strings.TrimSpace(v) != "" {
				sys = append(sys, Turn{"system", v})
			}
		case f.Transform == catalog.TransformPrompt || f.Transform == catalog.TransformInput:
			for _, v := range form[f.Name] {
				rest = append(rest, Turn{"user", v})
			}
		}
	}
	return append(sys, rest...)
}

// PromptText is the text a person wrote for a model's form (system or
// instructions, messages, prompt, input), one part a line: what the
// history lists and searches.
func PromptText(m *catalog.Model, form url.Values) string {
	var parts []string
	for _, t := range Conversation(m, form) {
		if strings.TrimSpace(t.Content) != "" {
			parts = append(parts, t.Content)
		}
	}
	return strings.Join(parts, "\n")
}

// SetConversation writes the conversation into m's prompt fields: as
// messages (system rows as the model's system or developer role), or as
// an instructions field and a prompt text.
func SetConversation(m *catalog.Model, form url.Values, conv []Turn) {
	hasSystemField := slices.ContainsFunc(m.Fields(), isSystemField)
	for _, f := range m.Fields() {
		switch {
		case f.Type == catalog.TypeMessages:
			var rows []MessageRow
			for _, t := range conv {
				role := t.Role
				if hasSystemField && (role == "system" || role == "developer") {
					continue // the instructions field has it
				}
				if !slices.Contains(rolesOf(f), role) {
					role = mapRole(f, role)
				}
				if role == "" {
					continue
				}
				rows = append(rows, MessageRow{Role: role, Content: t.Content})
			}
			if len(rows) > 0 {
				SetMessageText(f, form, rows)
			}
		case isSystemField(f):
			var parts []string
			for _, t := range conv {
				if t.Role == "system" || t.Role == "developer" {
					parts = append(parts, t.Content)
				}
			}
			form.Set(f.Name, strings.Join(parts, "\n\n"))
		case f.Transform == catalog.TransformPrompt || f.Transform == catalog.TransformInput:
			var parts []string
			for _, t := range conv {
				if (t.Role == "system" || t.Role == "developer") && hasSystemField {
					continue
				}
				parts = append(parts, t.Content)
			}
			if len(parts) == 0 {
				continue
			}
			if f.IsList() && len(conv) > 0 && allUser(conv) {
				form[f.Name] = parts // several prompts stay several
			} else {
				form.Set(f.Name, strings.Join(parts, "\n\n"))
			}
		}
	}
}

func allUser(conv []Turn) bool {
	for _, t := range conv {
		if t.Role != "user" {
			return false
		}
	}
	return true
}

func rolesOf(f catalog.Field) []string {
	if len(f.Roles) > 0 {
		return f.Roles
	}
	return []string{"system", "user", "assistant"}
}

// mapRole finds the role of f nearest to role: system and developer stand
// for each other; anything else unknown is dropped.
func mapRole(f catalog.Field, role string) string {
	rs := rolesOf(f)
	switch role {
	case "system":
		if slices.Contains(rs, "developer") {
			return "developer"
		}
	case "developer":
		if slices.Contains(rs, "system") {
			return "system"
		}
	}
	return ""
}

// IsPrompt reports whether f is part of the prompt (messages, prompt
// text, input, system message, images): the base form's alone.
func IsPrompt(f catalog.Field) bool {
	switch f.Type {
	case catalog.TypeMessages, catalog.TypeImageURLs:
		return true
	}
	switch f.Transform {
	case catalog.TransformPrompt, catalog.TransformInput, catalog.TransformSystemMessage,
		catalog.TransformMessages, catalog.TransformImageURLs:
		return true
	}
	return isSystemField(f)
}
