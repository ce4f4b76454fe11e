package stream

import (
	"io"
	"strings"
	"testing"

	"github.com/playground-dev/playground/web/catalog"
)

// TestResponsesErrorEventIsNotTheEnd: after a Responses error event the
// stream goes on to its terminal event, whatever it is, so the final
// state, the output so far and the error all come through; an error event
// alone leaves the stream without its end.
func TestResponsesErrorEventIsNotTheEnd(t *testing.T) {
	const head = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n" +
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Partial\"}\n\n" +
		"event: error\ndata: {\"type\":\"error\",\"sequence_number\":2,\"code\":\"server_error\",\"message\":\"boom\",\"param\":null}\n\n"
	terminal := func(typ, status, extra string) string {
		return "event: " + typ + "\ndata: {\"type\":\"" + typ + "\",\"sequence_number\":3,\"response\":{\"id\":\"resp_1\",\"status\":\"" + status + "\"" + extra +
			",\"usage\":{\"input_tokens\":4,\"output_tokens\":1,\"total_tokens\":5}}}\n\n"
	}
	for _, tc := range []struct {
		name, tail, status, finish string
		done                       bool
	}{
		{"failed", terminal("response.failed", "failed", `,"error":{"code":"server_error","message":"Mid-stream error."}`), "failed", "failed", true},
		{"incomplete", terminal("response.incomplete", "incomplete", `,"incomplete_details":{"reason":"max_output_tokens"}`), "incomplete", "incomplete: max_output_tokens", true},
		{"completed", terminal("response.completed", "completed", ""), "completed", "completed", true},
		{"nothing follows", "", "in_progress", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Split at every byte: the decoding does not depend on how the
			// bytes arrive.
			raw := head + tc.tail
			for cut := 0; cut <= len(raw); cut++ {
				res, err := decodeStream(t, catalog.Responses, io.MultiReader(strings.NewReader(raw[:cut]), strings.NewReader(raw[cut:])))
				if err != nil {
					t.Fatal(err)
				}
				c := res.Choice(0)
				if res.Err == nil || res.Err.Code != "server_error" || res.Err.Message != "boom" {
					t.Fatalf("split %d: error %+v (the first error is kept)", cut, res.Err)
				}
				if c.Text.String() != "Partial" || res.Status != tc.status || c.Finish != tc.finish || res.Done != tc.done {
					t.Fatalf("split %d: text %q status %q finish %q done %v", cut, c.Text.String(), res.Status, c.Finish, res.Done)
				}
				if tc.done && (res.Usage == nil || res.Usage.Input != 4) {
					t.Fatalf("split %d: usage %+v", cut, res.Usage)
				}
			}
		})
	}
}

// TestCutRecordingsHaveNoEnd: every recording cut before its terminal
// event decodes to a prefix of its output, with no Done and nothing that
// the part before the cut did not hold.
func TestCutRecordingsHaveNoEnd(t *testing.T) {
	names, _ := filepathGlob()
	for _, name := range names {
		raw := string(readFixture(t, name))
		style := styleOf(name)
		whole, _ := decodeStream(t, style, strings.NewReader(raw))
		// Cut at every event boundary and in the middle of each event.
		for i := 0; i < len(raw); {
			j := strings.Index(raw[i:], "\n\n")
			if j < 0 {
				break
			}
			for _, at := range []int{i + j/2, i + j + 2} {
				part, _ := decodeStream(t, style, strings.NewReader(raw[:at]))
				if part.Done {
					continue // the terminal event is in
				}
				for _, c := range part.Choices() {
					if !strings.HasPrefix(whole.Choice(c.Index).Text.String(), c.Text.String()) {
						t.Fatalf("%s cut at %d: text %q is not a prefix", name, at, c.Text.String())
					}
				}
				if whole.Usage == nil && part.Usage != nil {
					t.Fatalf("%s cut at %d: usage made up", name, at)
				}
			}
			i += j + 2
		}
	}
}

// TestWhole: when an answer reached its end without its terminal event.
func TestWhole(t *testing.T) {
	const text = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
	const finish0 = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	const text1 = "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"Yo\"}}]}\n\n"
	const usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1,\"total_tokens\":3}}\n\n"
	const done = "data: [DONE]\n\n"
	for _, tc := range []struct {
		name, in     string
		asked, whole bool
	}{
		{"nothing", "", false, false},
		{"text only", text, false, false},
		{"finished", text + finish0, false, true},
		{"finished, usage asked", text + finish0, true, false},
		{"finished with usage", text + finish0 + usage, true, true},
		{"one of two choices finished", text + text1 + finish0, false, false},
		{"[DONE] without a finish", text + done, true, true},
	} {
		res, err := decodeStream(t, catalog.Chat, strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Whole(tc.asked); got != tc.whole {
			t.Errorf("%s: whole %v, want %v", tc.name, got, tc.whole)
		}
	}
}
