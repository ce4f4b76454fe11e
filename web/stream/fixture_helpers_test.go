package stream

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	recorded "github.com/playground-dev/playground/internal/fixtures"
	"github.com/playground-dev/playground/web/catalog"
	"github.com/playground-dev/playground/web/sse"
)

var fixtureDir = recorded.Dir()

func styleOf(name string) catalog.Style { return recorded.Style(name) }

// decodeStream decodes a whole SSE stream of the style into a Result.
func decodeStream(tb testing.TB, style catalog.Style, r io.Reader) (*Result, error) {
	tb.Helper()
	d := NewDecoder(style)
	res := NewResult()
	sd := sse.NewDecoder(r, 0)
	for {
		ev, err := sd.Next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if err := d.Decode(ev, res.Apply); err != nil {
			return res, err
		}
	}
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// filepathGlob lists the fixture file names.
func filepathGlob() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.sse"))
	for i, p := range paths {
		paths[i] = filepath.Base(p)
	}
	return paths, err
}
