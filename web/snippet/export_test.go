package snippet

import "github.com/playground-dev/playground/web/catalog"

// PyOpenAIMethod is the Python SDK's method for an API style, for the
// tests: its path, the parameters it takes as keywords and requires.
type PyOpenAIMethod struct {
	Path            string
	Known, Required []string
}

// PyOpenAIMethods are pyOpenAIMethods, by style.
func PyOpenAIMethods() map[string]PyOpenAIMethod {
	out := map[string]PyOpenAIMethod{}
	for s, m := range pyOpenAIMethods {
		out[string(s)] = PyOpenAIMethod{Path: m.path, Known: m.known, Required: m.required}
	}
	return out
}

// GoOpenAIKnows are, by API style, the body fields the go-openai snippet
// reads into the SDK's params (the rest it sets as request options).
func GoOpenAIKnows() map[catalog.Style][]string {
	out := map[catalog.Style][]string{}
	for style, sdk := range goSDKs {
		out[style] = sdk.knows
	}
	return out
}
