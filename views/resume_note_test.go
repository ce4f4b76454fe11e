package views

import "testing"

// TestResumeNote: the inspector says how a broken background stream was
// followed, in words: once, n times, or tried and refused (then polled),
// never "resumed 1 time(s)" before a refusal.
func TestResumeNote(t *testing.T) {
	const polls = "so the response was polled to its end (the polls are not in the transcript)."
	for _, tc := range []struct {
		tries  int
		polled bool
		want   string
	}{
		{0, false, ""},
		{1, false, "The background stream was resumed once; the events of every stream are listed."},
		{2, false, "The background stream was resumed 2 times; the events of every stream are listed."},
		{1, true, "The background stream broke; the playground tried to resume it once; the provider refused, " + polls},
		{2, true, "The background stream was resumed once; the provider refused the next resume, " + polls + " The events of every stream are listed."},
		{4, true, "The background stream was resumed 3 times; the provider refused the next resume, " + polls + " The events of every stream are listed."},
	} {
		if got := resumeNote(tc.tries, tc.polled); got != tc.want {
			t.Errorf("resumeNote(%d, %v) = %q, want %q", tc.tries, tc.polled, got, tc.want)
		}
	}
}
