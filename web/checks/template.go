package checks

// templates are a starting point of each kind, as a YAML list item: what
// the experiment page's "Add check" writes for the person to edit.
var templates = map[Kind]string{
	Equals:       "- type: equals\n  value: \"{{expected}}\"\n",
	Contains:     "- type: contains\n  values: [\"{{expected}}\"]\n  match: all\n",
	NotContains:  "- type: not-contains\n  values: [\"I cannot\"]\n",
	Regex:        "- type: regex\n  pattern: \"^[A-Z]\"\n",
	StartsWith:   "- type: starts-with\n  value: \"{{expected}}\"\n",
	IsJSON:       "- type: is-json\n",
	JSONSchema:   "- type: json-schema\n  schema: {type: object, required: [answer], properties: {answer: {type: string}}}\n",
	CloseTo:      "- type: close-to\n  pointer: /value\n  value: \"42\"\n  tolerance: \"0.5\"\n",
	Length:       "- type: length\n  min: 1\n  max: 2000\n",
	MaxLatency:   "- type: max-latency\n  duration: 10s\n",
	MaxCost:      "- type: max-cost\n  amount: \"0.01\"\n  currency: USD\n",
	FinishReason: "- type: finish-reason\n  value: stop\n",
	ToolCalled:   "- type: tool-called\n  tool: get_weather\n  arguments: {city: \"{{city}}\"}\n  match: subset\n",
	JudgeKind:    "- type: judge\n  rubric: The answer is polite and correct.\n  provider: sim\n  model: seed001.gpt-5.4\n",
}

// Template is a check of kind k to start from, as a YAML list item.
func Template(k Kind) string { return templates[k] }
