// Package goopenaisnippets pins the openai-go SDK the go-openai snippets
// are run with (TestGoOpenAISnippetSendsAnEqualRequest): the packages they
// import, so that go mod tidy keeps their sums. It is not part of the
// playground's module.
package goopenaisnippets

import (
	_ "github.com/openai/openai-go/v3"
	_ "github.com/openai/openai-go/v3/option"
	_ "github.com/openai/openai-go/v3/packages/ssestream"
	_ "github.com/openai/openai-go/v3/responses"
)
