package upstream

import "testing"

func TestBackgroundURLs(t *testing.T) {
	b := Background{Base: "https://api.example/v1", ID: "resp_1"}
	for got, want := range map[string]string{
		b.ResumeURL(7): "https://api.example/v1/responses/resp_1?stream=true&starting_after=7",
		b.PollURL():    "https://api.example/v1/responses/resp_1",
		b.CancelURL():  "https://api.example/v1/responses/resp_1/cancel",
		// An id is one path segment, whatever the provider sent.
		Background{Base: "https://api.example/v1", ID: "../x?y"}.PollURL(): "https://api.example/v1/responses/..%2Fx%3Fy",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
