package tokens

import "testing"

func TestCountO200k(t *testing.T) {
	var c Counter
	tests := map[string]int{"": 0, "hello": 1, "Hello, world!": 4}
	for s, want := range tests {
		if got := c.Count(s); got != want {
			t.Errorf("Count(%q) = %d, want %d", s, got, want)
		}
	}
	ids := c.Encode("The theory of relativity")
	if c.Decode(ids) != "The theory of relativity" || len(ids) != c.Count("The theory of relativity") {
		t.Errorf("encode/decode round trip failed: %v", ids)
	}
}

func TestImage(t *testing.T) {
	if Image("low") != 85 || Image("high") != 765 || Image("") != 765 {
		t.Error("image token estimates changed")
	}
}
