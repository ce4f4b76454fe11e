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
