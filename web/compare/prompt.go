package compare

import (
	"net/url"
	"slices"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
)

// turn is one message of the prompt, whatever shape the model takes it in.
type turn struct{ role, content string }

// isSystemField reports whether f holds the system prompt (a system
// message transform or the Responses instructions).
func isSystemField(f catalog.Field) bool {
	return f.Transform == catalog.TransformSystemMessage || (f.Transform == "" && f.BodyPath() == "instructions")
}

// conversation reads the prompt of m's form as messages.
func conversation(m *catalog.Model, form url.Values) []turn {
	var sys, rest []turn
	for _, f := range m.Fields() {
		switch {
		case f.Type == catalog.TypeMessages:
			roles := form[f.Name+".role"]
			for i, c := range form[f.Name+".content"] {
				role := "user"
				if i < len(roles) {
					role = roles[i]
				}
				rest = append(rest, turn{role, c})
			}
		case isSystemField(f):
			if v := form.Get(f.Name); strings.TrimSpace(v) != "" {
				sys = append(sys, turn{"system", v})
			}
		case f.Transform == catalog.TransformPrompt || f.Transform == catalog.TransformInput:
			for _, v := range form[f.Name] {
				rest = append(rest, turn{"user", v})
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
	for _, t := range conversation(m, form) {
		if strings.TrimSpace(t.content) != "" {
			parts = append(parts, t.content)
		}
	}
	return strings.Join(parts, "\n")
}

// setPrompt writes the conversation into m's prompt fields: as messages
// (system rows as the model's system or developer role), or as an
// instructions field and a prompt text.
func setPrompt(m *catalog.Model, form url.Values, conv []turn) {
	hasSystemField := slices.ContainsFunc(m.Fields(), isSystemField)
	for _, f := range m.Fields() {
		switch {
		case f.Type == catalog.TypeMessages:
			var roles, contents []string
			for _, t := range conv {
				role := t.role
				if hasSystemField && (role == "system" || role == "developer") {
					continue // the instructions field has it
				}
				if !slices.Contains(rolesOf(f), role) {
					role = mapRole(f, role)
				}
				if role == "" {
					continue
				}
				roles, contents = append(roles, role), append(contents, t.content)
			}
			if len(contents) > 0 {
				form[f.Name+".role"], form[f.Name+".content"] = roles, contents
			}
		case isSystemField(f):
			var parts []string
			for _, t := range conv {
				if t.role == "system" || t.role == "developer" {
					parts = append(parts, t.content)
				}
			}
			form.Set(f.Name, strings.Join(parts, "\n\n"))
		case f.Transform == catalog.TransformPrompt || f.Transform == catalog.TransformInput:
			var parts []string
			for _, t := range conv {
				if (t.role == "system" || t.role == "developer") && hasSystemField {
					continue
				}
				parts = append(parts, t.content)
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

func allUser(conv []turn) bool {
	for _, t := range conv {
		if t.role != "user" {
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
