package sim

import (
	"net/http"
	"strings"

	"github.com/playground-dev/playground/web/catalog"
)

// Answer shapes of a Responses model. Seed 003's page documents its
// /responses answers with Chat Completions fields (choices,
// prompt_tokens, completion_tokens, *_details, system_fingerprint,
// error{message,type,param,code}); a model whose catalog entry has
// "sim_shape": "chat" answers that way, and the X-Sim-Shape header
// ("chat" or "responses") chooses per request.
const (
	ShapeResponses = ""     // the Responses API's own events and response object
	ShapeChat      = "chat" // chat.completion(.chunk), as seed 003 documents
)

// shapeOf is the answer shape of a request: the header's, else the model's.
func shapeOf(r *http.Request, spec ModelSpec) string {
	switch strings.ToLower(strings.TrimSpace(r.Header.Get("X-Sim-Shape"))) {
	case "chat":
		return ShapeChat
	case "responses":
		return ShapeResponses
	}
	return spec.Shape
}

// chatLike reports a request answered with Chat Completions chunks and
// objects: a Chat request, or a Responses one in the documented shape.
func (r *req) chatLike() bool { return r.style == catalog.Chat || r.chatShape }

// hidesReasoning: in the documented shape the reasoning streams (as
// reasoning_content) only when a summary is asked for, as the Responses
// shape shows it; its tokens are counted either way.
func (r *req) hidesReasoning() bool { return r.chatShape && r.summary == "" }
