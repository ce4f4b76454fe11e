package run

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/playground-dev/playground/web/catalog"
)

// TestOutcomeKeepsTheExactCost: the done event (the history's summary)
// holds the cost as exact amounts, with no formatted figure and no
// float64: 5 tokens in and 2 out at $1 per million cost 7/1000000, stored
// as "0.000007".
func TestOutcomeKeepsTheExactCost(t *testing.T) {
	body := "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n" +
		"data: [DONE]\n\n"
	srv := httptest.NewServer(serve([]byte(body), 1000, 0))
	defer srv.Close()
	m := newManager(t, Config{})
	evs := wait(t, m.Start(spec(catalog.Chat, srv.URL, "{}")))
	b := replay(t, evs)
	o := b.outcome
	want := big.NewRat(7, 1_000_000)
	got, ok := o.TotalRat()
	if !ok || got.Cmp(want) != 0 || o.Cost.Currency != "USD" {
		t.Fatalf("cost %+v: exact %v, want %v", o.Cost, got, want)
	}
	if o.Cost.Input.Rat().Cmp(big.NewRat(5, 1_000_000)) != 0 || o.Cost.Output.Rat().Cmp(big.NewRat(2, 1_000_000)) != 0 {
		t.Errorf("parts in %v, out %v", o.Cost.Input, o.Cost.Output)
	}
	if _, ok := o.CreditsRat(); ok {
		t.Error("credits for a provider that bills none")
	}
	done := string(evs[len(evs)-1].Data)
	if !strings.Contains(done, `"total":"0.000007"`) || strings.Contains(done, "$") || strings.Contains(done, `"amount"`) {
		t.Errorf("the done event is not the exact outcome: %s", done)
	}
}

// TestAmountIsStoredExactly: amounts go to JSON as their shortest exact
// decimal, or as a fraction when they have none, and come back the same.
func TestAmountIsStoredExactly(t *testing.T) {
	for _, tc := range []struct {
		r    *big.Rat
		want string
	}{
		{big.NewRat(33, 20000), `"0.00165"`},
		{big.NewRat(1, 1_000_000), `"0.000001"`},
		{big.NewRat(1, 3), `"1/3"`},
		{big.NewRat(2, 1), `"2"`},
		{big.NewRat(-1, 8), `"-0.125"`},
		{new(big.Rat), `"0"`},
	} {
		b, err := json.Marshal(NewAmount(tc.r))
		if err != nil || string(b) != tc.want {
			t.Errorf("%v: %s %v, want %s", tc.r, b, err, tc.want)
			continue
		}
		var back Amount
		if err := json.Unmarshal(b, &back); err != nil || back.Rat().Cmp(tc.r) != 0 {
			t.Errorf("%s read back as %v (%v)", b, back.Rat(), err)
		}
	}
	var a Amount
	if err := json.Unmarshal([]byte(`"$0.50"`), &a); err == nil {
		t.Error("a formatted figure was read as an amount")
	}
}

// TestOutcomeReadsOldRows: a row stored in the older shape (formatted
// figures beside "exact" rationals and float64 amounts, durations in
// milliseconds) gives the exact amounts it stood for: "exact" first, the
// float amount when there is none.
func TestOutcomeReadsOldRows(t *testing.T) {
	const row = `{"state":"completed","finish":["stop"],"truncated":false,"url":"https://api.test/v1/chat/completions",
	"usage":{"input":1200,"cached":1024,"output":438,"reasoning":77,"estimated":false,"audio_output":240},
	"cost":{"known":true,"total":"$0.00165","credits":"1.65 credits","input":"$0.0004","cached":"$0.0002","output":"$0.00105",
		"estimated":false,"demo":false,"provider_cost":"$0.0099","audio":"$0.0024","audio_exact":"3/1250","audio_at_text_price":true,
		"exact":"33/20000","amount":0.00165,"currency":"USD","credits_exact":"33/20","credits_amount":1.65},
	"metrics":{"ttfb_ms":212.4,"ttft_ms":300.6,"total_ms":2345,"tokens_per_sec":41.5}}`
	var o Outcome
	if err := json.Unmarshal([]byte(row), &o); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		got  *Amount
		want *big.Rat
	}{
		"total":         {o.Cost.Total, big.NewRat(33, 20000)},
		"credits":       {o.Cost.Credits, big.NewRat(33, 20)},
		"audio":         {o.Cost.Audio, big.NewRat(3, 1250)},
		"provider cost": {o.Cost.ProviderCost, big.NewRat(99, 10000)},
		"input":         {o.Cost.Input, big.NewRat(4, 10000)},
	} {
		if c.got.Rat() == nil || c.got.Rat().Cmp(c.want) != 0 {
			t.Errorf("%s %v, want %v", name, c.got, c.want)
		}
	}
	if !o.Cost.Known || o.Cost.Currency != "USD" || !o.Cost.AudioAtTextPrice || o.Usage.Cached != 1024 || o.State != Completed {
		t.Errorf("outcome %+v", o)
	}
	d := o.Durations
	if d.TTFB != 212400*time.Microsecond || d.TTFT != 300600*time.Microsecond || d.Total != 2345*time.Millisecond {
		t.Errorf("durations %+v", d)
	}
	if speed := float64(o.Usage.Output) / d.Generation.Seconds(); speed < 41.4999 || speed > 41.5001 {
		t.Errorf("generation %v gives %v tokens/s, want 41.5", d.Generation, speed)
	}

	// Before the exact rationals were kept: the float64 amounts.
	var older Outcome
	if err := json.Unmarshal([]byte(`{"state":"completed","cost":{"known":true,"total":"$0.50","credits":"2 credits","amount":0.5,"currency":"USD","credits_amount":2}}`), &older); err != nil {
		t.Fatal(err)
	}
	if r, ok := older.TotalRat(); !ok || r.Cmp(big.NewRat(1, 2)) != 0 {
		t.Errorf("old total %v %v", r, ok)
	}
	if r, ok := older.CreditsRat(); !ok || r.Cmp(big.NewRat(2, 1)) != 0 {
		t.Errorf("old credits %v %v", r, ok)
	}
	// A refused run's zero (its amount omitted).
	var refused Outcome
	if err := json.Unmarshal([]byte(`{"state":"failed","cost":{"known":true,"total":"$0.00","refused":true,"currency":"USD"}}`), &refused); err != nil {
		t.Fatal(err)
	}
	if r, ok := refused.TotalRat(); !ok || r.Sign() != 0 || !refused.Cost.Refused {
		t.Errorf("refused total %v %v", r, ok)
	}
	var unpriced Outcome
	if _, ok := unpriced.TotalRat(); ok {
		t.Error("a total for a run without a price")
	}
	if _, ok := (*Outcome)(nil).TotalRat(); ok {
		t.Error("a total for no outcome")
	}
}

// TestOutcomeRoundTrips: an outcome written and read back is the same.
func TestOutcomeRoundTrips(t *testing.T) {
	var o Outcome
	o.State, o.Finish = Completed, []string{"stop"}
	o.Usage = Usage{Input: 3, Output: 40}
	o.Cost = Cost{Known: true, Currency: "EUR", Total: NewAmount(big.NewRat(1, 3)), Credits: NewAmount(big.NewRat(5, 1)),
		ProviderCost: NewAmount(big.NewRat(1, 100))}
	o.Durations = Durations{TTFB: 12 * time.Millisecond, TTFT: 30 * time.Millisecond, Total: time.Second, Generation: 800 * time.Millisecond}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back Outcome
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(b) || back.Durations != o.Durations || back.Cost.Total.Rat().Cmp(big.NewRat(1, 3)) != 0 {
		t.Errorf("%s read back as %s", b, again)
	}
}

// TestGenerationTime: the outcome keeps what a speed is taken from, the
// time from the first token to the end, only for a streamed run with at
// least two deltas; a run not streamed, or with one delta, has none (a
// polled run neither: TestBackgroundResumesOrPolls).
func TestGenerationTime(t *testing.T) {
	chunk := func(text string) string {
		return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"}}]}\n\n"
	}
	usage := "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\ndata: [DONE]\n\n"
	for _, tc := range []struct {
		name   string
		body   string
		stream bool
		known  bool
	}{
		{"streamed, two deltas", chunk("Hello") + chunk(" there") + usage, true, true},
		{"streamed, one delta", chunk("Hello there") + usage, true, false},
		{"not streamed", `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := serve([]byte(tc.body), 40, 20*time.Millisecond)
			if !tc.stream {
				h = func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(tc.body))
				}
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			s := spec(catalog.Chat, srv.URL, "{}")
			s.Request.Stream = tc.stream
			o := replay(t, wait(t, newManager(t, Config{}).Start(s))).outcome
			if o.State != Completed || o.Usage.Output != 2 {
				t.Fatalf("outcome %+v", o)
			}
			if d := o.Durations; (d.Generation > 0) != tc.known || d.Total <= 0 || d.Generation > d.Total {
				t.Errorf("durations %+v, generation known %v", d, tc.known)
			}
		})
	}
}
