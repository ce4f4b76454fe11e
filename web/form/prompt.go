package form

import (
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

// Conversation reads the prompt of m's form as messages: the system
// prompt first, then each prompt field's turns (its kind's, kinds.go).
func Conversation(m *catalog.Model, d Draft) []Turn {
	var sys, rest []Turn
	for _, f := range m.Fields() {
		k := kinds[f.Type]
		if !IsPrompt(f) || k.turns == nil {
			continue
		}
		in, _ := Read(f, d)
		if isSystemField(f) {
			sys = append(sys, k.turns(f, in)...)
		} else {
			rest = append(rest, k.turns(f, in)...)
		}
	}
	return append(sys, rest...)
}

// PromptText is the text a person wrote for a model's form (system or
// instructions, messages, prompt, input), one part a line: what the
// history lists and searches.
func PromptText(m *catalog.Model, d Draft) string {
	var parts []string
	for _, t := range Conversation(m, d) {
		if strings.TrimSpace(t.Content) != "" {
			parts = append(parts, t.Content)
		}
	}
	return strings.Join(parts, "\n")
}

// SetConversation writes the conversation into m's prompt fields: as
// messages (system rows as the model's system or developer role), or as
// an instructions field and a prompt text.
func SetConversation(m *catalog.Model, d Draft, conv []Turn) {
	system := slices.ContainsFunc(m.Fields(), isSystemField)
	for _, f := range m.Fields() {
		k := kinds[f.Type]
		if !IsPrompt(f) || k.setTurns == nil {
			continue
		}
		cur, _ := Read(f, d)
		if in, ok := k.setTurns(f, cur, conv, system); ok {
			d[f.Name] = in
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
// text, input, system message, images: the base form's alone), as its
// role says (catalog.RolePrompt, which the catalog gives these fields
// when an older catalog names no role).
func IsPrompt(f catalog.Field) bool { return f.Role == catalog.RolePrompt }
