package snippet

import "github.com/playground-dev/playground/web/catalog"

// GoOpenAIKnows are, by API style, the body fields the go-openai snippet
// reads into the SDK's params (the rest it sets as request options).
func GoOpenAIKnows() map[catalog.Style][]string {
	out := map[catalog.Style][]string{}
	for style, sdk := range goSDKs {
		out[style] = sdk.knows
	}
	return out
}
