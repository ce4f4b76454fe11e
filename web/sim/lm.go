package sim

import (
	_ "embed"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
)

// corpus is original prose written for this project (released with it),
// on the subjects people tend to try first: physics, the sea, weather,
// biology, programming, networks, APIs, language models, cost, history,
// cooking, music, mathematics, economics, writing, images and tools.
//
//go:embed corpus.txt
var corpus string

// LM is a word-level trigram model with bigram and unigram back-off. It is
// small and crude, but its sampling is real: temperature, top_p, top_k,
// seed, presence and frequency penalties and logit bias all change what it
// writes, which is what makes comparing settings meaningful offline.
type LM struct {
	words  []string         // token text by id
	lower  []string         // lower-cased token text
	ids    map[string]int32 // lower-cased text to ids (first seen)
	seq    []int32          // the corpus as ids
	tri    map[[2]int32][]edge
	bi     map[int32][]edge
	starts []int32 // ids that begin sentences
	end    int32   // id of "."
}

type edge struct {
	next  int32
	count float64
}

var tokenRE = regexp.MustCompile(`[A-Za-z]+(?:'[a-z]+)?|[0-9]+|[.,;:!?()]`)

// NewLM builds the model from the embedded corpus.
func NewLM() *LM { return newLM(corpus) }

func newLM(text string) *LM {
	m := &LM{ids: map[string]int32{}, tri: map[[2]int32][]edge{}, bi: map[int32][]edge{}}
	id := func(w string) int32 {
		if i, ok := m.ids[w]; ok && m.words[i] == w {
			return i
		}
		for i, x := range m.words {
			if x == w {
				return int32(i)
			}
		}
		i := int32(len(m.words))
		m.words = append(m.words, w)
		m.lower = append(m.lower, strings.ToLower(w))
		if _, ok := m.ids[strings.ToLower(w)]; !ok {
			m.ids[strings.ToLower(w)] = i
		}
		return i
	}
	m.end = id(".")
	prev2, prev1 := m.end, m.end
	seen := map[int32]bool{}
	for _, w := range tokenRE.FindAllString(text, -1) {
		t := id(w)
		m.seq = append(m.seq, t)
		if isSentenceEnd(m.words[prev1]) && !seen[t] && !isPunct(w) {
			m.starts = append(m.starts, t)
			seen[t] = true
		}
		m.tri[[2]int32{prev2, prev1}] = addEdge(m.tri[[2]int32{prev2, prev1}], t)
		m.bi[prev1] = addEdge(m.bi[prev1], t)
		prev2, prev1 = prev1, t
	}
	return m
}

func addEdge(es []edge, t int32) []edge {
	for i := range es {
		if es[i].next == t {
			es[i].count++
			return es
		}
	}
	return append(es, edge{next: t, count: 1})
}

func isSentenceEnd(w string) bool { return w == "." || w == "!" || w == "?" }

func isPunct(w string) bool { return len(w) == 1 && strings.ContainsAny(w, ".,;:!?()") }

// stopwords are never topics.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if of in on at to for from by with about into over under is are was were be been being
		it its this that these those there here what which who whom whose why how when where i you he she we they me him her us them my your our their
		do does did doing have has had can could would should will shall may might must not no yes so than then too very just also only
		explain tell write give make describe please show one two some any all each every more most much many other such own same
		paragraph sentence sentences word words short long brief answer question me`) {
		stopwords[w] = true
	}
}

// Topics returns the vocabulary words of text worth writing about, in the
// order they appear.
func (m *LM) Topics(text string) []int32 {
	var out []int32
	seen := map[int32]bool{}
	for _, w := range tokenRE.FindAllString(text, -1) {
		lw := strings.ToLower(w)
		if len(lw) < 3 || stopwords[lw] || isPunct(lw) {
			continue
		}
		id, ok := m.ids[lw]
		if !ok && strings.HasSuffix(lw, "s") {
			id, ok = m.ids[strings.TrimSuffix(lw, "s")]
		}
		if ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Sampling are the knobs of one generation.
type Sampling struct {
	Temperature      float64 // 0 is greedy
	TopP             float64 // 0 or 1: off
	TopK             int     // 0: off
	PresencePenalty  float64
	FrequencyPenalty float64
	// Bias adds to a word's logit (from logit_bias, by token text).
	Bias map[int32]float64
}

// Gen writes text one token at a time.
type Gen struct {
	m       *LM
	s       Sampling
	rng     *rand.Rand
	a, b    int32
	topics  map[int32]bool
	counts  map[int32]int
	written map[[3]int32]bool // trigrams already written: avoid loops
	started bool
	last    string
	cands   []cand
	// lastLP is the log-probability of the last word and lastTop the
	// likeliest words at its place (the model's distribution at
	// temperature 1, before sampling's cut-offs).
	lastLP  float64
	lastTop []Alt
}

// Alt is a word the model could have written, with its log-probability.
type Alt struct {
	Word    string
	Logprob float64
}

// Logprobs returns the last word's log-probability and up to n likeliest
// alternatives (the word itself among them).
func (g *Gen) Logprobs(n int) (float64, []Alt) {
	if n > len(g.lastTop) {
		n = len(g.lastTop)
	}
	return g.lastLP, g.lastTop[:n]
}

type cand struct {
	id    int32
	logit float64
	p     float64
}

// NewGen starts a generation about topics (ids from Topics), seeded with
// seed.
func (m *LM) NewGen(s Sampling, topics []int32, seed uint64) *Gen {
	g := &Gen{m: m, s: s, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), a: m.end, b: m.end,
		topics: map[int32]bool{}, counts: map[int32]int{}, written: map[[3]int32]bool{}}
	for _, t := range topics {
		g.topics[t] = true
	}
	// Begin at a sentence of the corpus that mentions a topic, so that the
	// answer starts on the prompt's subject.
	if len(topics) > 0 {
		t := topics[0]
		if s.Temperature > 0 {
			t = topics[g.rng.IntN(len(topics))]
		}
		var at []int
		for i, w := range m.seq {
			if w == t {
				at = append(at, i)
			}
		}
		if len(at) > 0 {
			i := at[0]
			if s.Temperature > 0 {
				i = at[g.rng.IntN(len(at))]
			}
			for i > 0 && !isSentenceEnd(m.words[m.seq[i-1]]) {
				i--
			}
			g.b = m.seq[i]
			g.counts[g.b]++
			return g
		}
	}
	if s.Temperature > 0 {
		g.b = m.starts[g.rng.IntN(len(m.starts))]
	} else {
		g.b = m.starts[0]
	}
	g.counts[g.b]++
	return g
}

// Next returns the next piece of text (with its leading space) and
// whether it ends a sentence.
func (g *Gen) Next() (string, bool) {
	if !g.started {
		g.started = true
		g.last = g.m.words[g.b]
		g.lastLP, g.lastTop = 0, []Alt{{Word: g.last, Logprob: 0}}
		return g.last, false
	}
	edges := g.m.tri[[2]int32{g.a, g.b}]
	if len(edges) == 0 {
		edges = g.m.bi[g.b]
	}
	if len(edges) == 0 {
		edges = []edge{{next: g.m.end, count: 1}}
	}
	next := g.pick(edges)
	g.noteLogprobs(next)
	g.written[[3]int32{g.a, g.b, next}] = true
	g.a, g.b = g.b, next
	g.counts[next]++
	w := g.m.words[next]
	piece := w
	if !isPunct(w) || w == "(" {
		if g.last != "(" {
			piece = " " + w
		}
	}
	g.last = w
	return piece, isSentenceEnd(w)
}

// noteLogprobs keeps the distribution the last pick chose from: a softmax
// of the candidates' logits (at temperature 1), best first.
func (g *Gen) noteLogprobs(chosen int32) {
	cs := g.cands
	if len(cs) == 0 {
		g.lastLP, g.lastTop = 0, nil
		return
	}
	maxL := math.Inf(-1)
	for _, c := range cs {
		maxL = math.Max(maxL, c.logit)
	}
	sum := 0.0
	for _, c := range cs {
		sum += math.Exp(c.logit - maxL)
	}
	logZ := maxL + math.Log(sum)
	sorted := append([]cand(nil), cs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].logit != sorted[j].logit {
			return sorted[i].logit > sorted[j].logit
		}
		return sorted[i].id < sorted[j].id
	})
	g.lastTop = g.lastTop[:0]
	for i, c := range sorted {
		if i == 20 {
			break
		}
		g.lastTop = append(g.lastTop, Alt{Word: g.m.words[c.id], Logprob: c.logit - logZ})
	}
	for _, c := range cs {
		if c.id == chosen {
			g.lastLP = c.logit - logZ
		}
	}
}

func (g *Gen) pick(edges []edge) int32 {
	cs := g.cands[:0]
	for _, e := range edges {
		l := math.Log(e.count)
		if g.topics[e.next] {
			l += 0.7 // stay on the prompt's subject
		}
		if !isPunct(g.m.words[e.next]) {
			if n := g.counts[e.next]; n > 0 {
				l -= g.s.PresencePenalty + g.s.FrequencyPenalty*float64(n)
			}
		}
		if g.written[[3]int32{g.a, g.b, e.next}] {
			l -= 2.5 // a small model loops; this keeps greedy text moving
		}
		l += g.s.Bias[e.next]
		cs = append(cs, cand{id: e.next, logit: l})
	}
	g.cands = cs
	// Deterministic order: best first, ties by id.
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].logit != cs[j].logit {
			return cs[i].logit > cs[j].logit
		}
		return cs[i].id < cs[j].id
	})
	if g.s.Temperature <= 0 {
		return cs[0].id
	}
	if g.s.TopK > 0 && len(cs) > g.s.TopK {
		cs = cs[:g.s.TopK]
	}
	maxL := cs[0].logit
	sum := 0.0
	for i := range cs {
		cs[i].p = math.Exp((cs[i].logit - maxL) / g.s.Temperature)
		sum += cs[i].p
	}
	if g.s.TopP > 0 && g.s.TopP < 1 {
		acc := 0.0
		for i := range cs {
			acc += cs[i].p / sum
			if acc >= g.s.TopP {
				cs = cs[:i+1]
				break
			}
		}
		sum = 0
		for _, c := range cs {
			sum += c.p
		}
	}
	r := g.rng.Float64() * sum
	for _, c := range cs {
		r -= c.p
		if r <= 0 {
			return c.id
		}
	}
	return cs[len(cs)-1].id
}

// WordID returns the vocabulary id of a word (case-insensitive).
func (m *LM) WordID(w string) (int32, bool) {
	id, ok := m.ids[strings.ToLower(strings.TrimSpace(w))]
	return id, ok
}

// Word returns a word of the vocabulary by id.
func (m *LM) Word(id int32) string { return m.words[id] }
