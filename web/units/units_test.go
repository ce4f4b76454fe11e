package units

import "testing"

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		32 << 20: "32 MB", 3 << 19: "1.5 MB", 64 << 10: "64 KB", 1500: "1 KB", 900: "900 bytes", 0: "0 bytes",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1048576: "1,048,576", -123: "-123", -1234567: "-1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
