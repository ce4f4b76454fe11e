package sim

import (
	"encoding/base64"
	"fmt"
)

// Gemini 3 on OpenAI-compatible gateways signs each tool call with
// extra_content.google.thought_signature and refuses a next turn whose
// assistant tool calls do not send it back (docs/wire.md). The simulator
// does the same for models marked thought_signatures, so that the
// playground's carry-back runs offline.

// thoughtSignature is the signature of a tool call: opaque to clients,
// checkable by the simulator.
func thoughtSignature(callID string) string {
	return base64.StdEncoding.EncodeToString([]byte("sim-thought:" + callID))
}

// signedExtra is a tool call's extra_content carrying its signature.
func signedExtra(callID string) map[string]any {
	return map[string]any{"google": map[string]any{"thought_signature": thoughtSignature(callID)}}
}

// checkSignatures refuses a conversation whose assistant tool calls lack
// their thought_signature, as Gemini does.
func checkSignatures(msgs []any) *badRequest {
	pos := 0
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		calls, _ := mm["tool_calls"].([]any)
		for _, c := range calls {
			pos++
			cm, _ := c.(map[string]any)
			ex, _ := cm["extra_content"].(map[string]any)
			g, _ := ex["google"].(map[string]any)
			fn, _ := cm["function"].(map[string]any)
			if sig := str(g["thought_signature"]); sig == "" || sig != thoughtSignature(str(cm["id"])) {
				return invalid("messages", fmt.Sprintf("Function call is missing a thought_signature in functionCall parts. "+
					"This is required for tools to work correctly. Additional data, function call `default_api:%s`, position %d. "+
					"Send back each tool call's extra_content.google.thought_signature as it came.", str(fn["name"]), pos))
			}
		}
	}
	return nil
}
