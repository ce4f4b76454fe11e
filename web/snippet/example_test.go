package snippet_test

import (
	"fmt"

	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/request"
	"github.com/playground-dev/playground/web/snippet"
)

func ExampleRender() {
	r := &request.Request{
		Method: "POST", BaseURL: "https://api.openai.com/v1", Path: "/chat/completions", KeyEnv: "OPENAI_API_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:   []byte("{\n  \"model\": \"gpt-4o-mini\",\n  \"messages\": [{\"role\": \"user\", \"content\": \"It's\"}]\n}"),
		Style:  catalog.Chat,
	}
	s, _ := snippet.Render("python", r)
	fmt.Println(s.File, s.AlsoSends)
	fmt.Print(s.Code)
	// Output:
	// playground.py [Accept Accept-Encoding Connection User-Agent]
	// #!/usr/bin/env python3
	// # Sends the playground's request with requests (pip install requests; Debian: python3-requests).
	// import json
	// import os
	// import sys
	//
	// import requests
	//
	// url = 'https://api.openai.com/v1/chat/completions'
	// headers = {
	//     'Authorization': 'Bearer ' + os.environ.get('OPENAI_API_KEY', ''),
	//     'Content-Type': 'application/json',
	// }
	// body = (
	//     '{\n'
	//     '  "model": "gpt-4o-mini",\n'
	//     '  "messages": [{"role": "user", "content": "It\'s"}]\n'
	//     '}'
	// ).encode()
	//
	// resp = requests.post(url, headers=headers, data=body)
	// if not resp.ok:
	//     sys.exit(f"HTTP {resp.status_code}: {resp.text}")
	// answer = resp.json()
	// text = ((answer.get("choices") or [{}])[0].get("message") or {}).get("content")
	// print(text if text else json.dumps(answer, indent=2))
}

// The SDK snippet: the parameters the SDK knows are keyword arguments,
// a provider's own (top_k) travel in extra_body.
func ExampleRender_pythonOpenAI() {
	r := &request.Request{
		Method: "POST", BaseURL: "https://api.evolink.ai/v1", Path: "/chat/completions", KeyEnv: "EVOLINK_API_KEY",
		Header: []request.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "text/event-stream"}},
		Body:   []byte(`{"model":"gpt-5.4","messages":[{"role":"user","content":"It's"}],"stream":true,"top_k":40}`),
		Stream: true, Style: catalog.Chat,
	}
	s, _ := snippet.Render("python-openai", r)
	fmt.Println(s.File, s.SDK)
	fmt.Print(s.Code)
	// Output:
	// playground-openai.py true
	// #!/usr/bin/env python3
	// # Sends the playground's request with the official openai SDK (pip install openai).
	// import os
	//
	// from openai import OpenAI
	//
	// client = OpenAI(
	//     api_key=os.environ['EVOLINK_API_KEY'],
	//     base_url='https://api.evolink.ai/v1',
	//     default_headers={
	//         'Content-Type': 'application/json',
	//         'Accept': 'text/event-stream',
	//     },
	// )
	//
	// stream = client.chat.completions.create(
	//     model='gpt-5.4',
	//     messages=[{'role': 'user', 'content': 'It\'s'}],
	//     stream=True,
	//     extra_body={'top_k': 40},
	// )
	// for chunk in stream:
	//     if chunk.choices and chunk.choices[0].delta.content:
	//         print(chunk.choices[0].delta.content, end="", flush=True)
	// print()
}
