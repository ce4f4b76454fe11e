package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/playground-dev/playground/web/history"
	"github.com/playground-dev/playground/web/run"
)

// exportFake exports n copies of a run of about 10 KB.
type exportFake struct{ n int }

var _ historyExporter = exportFake{}

func (f exportFake) Export(ctx context.Context, owner string, fn func(history.Entry) error) error {
	e := history.Entry{ID: "run", Created: time.Now(), Provider: "openai", Model: "gpt-4o", Prompt: strings.Repeat("a prompt ", 100),
		Output:     run.Output{Choices: []run.ChoiceOutput{{Text: strings.Repeat("an answer ", 300)}}},
		Transcript: strings.Repeat(`data: {"choices":[{"delta":{"content":"an answer "}}]}`+"\n\n", 100)}
	for i := range f.n {
		e.Pane = i
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func exportApp(n int) *fiber.App {
	app := fiber.New()
	app.Get("/history/export.jsonl", HistoryExport(exportFake{n}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	return app
}

func TestHistoryExportStreamsEveryRun(t *testing.T) {
	resp, err := exportApp(500).Test(httptest.NewRequest("GET", "/history/export.jsonl", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var e history.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Pane != n {
			t.Fatalf("line %d: %v (pane %d)", n, err, e.Pane)
		}
		n++
	}
	if n != 500 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d lines, %s", n, resp.Header.Get("Content-Type"))
	}
}

// BenchmarkHistoryExport is the handler's part of the export's rate (the
// store's is in cmd/histbench): MB/s of JSON lines through fiber.
func BenchmarkHistoryExport(b *testing.B) {
	app := exportApp(2000)
	for b.Loop() {
		resp, err := app.Test(httptest.NewRequest("GET", "/history/export.jsonl", nil), -1)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.SetBytes(n)
	}
}
