package history

import (
	"context"
	"fmt"
)

// A search for a word most runs have cannot read every match from the
// full-text index and sort them by time (at 100,000 runs that is 100,000
// matches: most of a second), nor ask the index about each run in turn
// (a prefix or two words cost a quarter of a millisecond a run). So List
// walks the runs the filters select in chunks, in the page's order by
// their index, and asks the index only for the matches among the rowids
// of the chunk (FTS5 seeks a rowid range in its lists): a chunk's rowids
// span little more than the chunk, since runs are written as they start.
// The runs of a chunk are exactly those between its first and last keys,
// so the page is exact whatever the rowids; only the speed leans on them.

// listQuery is List's condition: where with args, for a search of a
// common word on SQLite the FTS5 expression match the walk asks about,
// and for a search of few matches on PostgreSQL bitmap (see Store.read).
type listQuery struct {
	where  string
	args   []any
	match  string
	bitmap bool
}

// walkFirst and walkMax are the first chunk's size and the largest (each
// is twice the one before): a common word fills a page from the first.
var (
	walkFirst = 512
	walkMax   = 16384
)

// countWalk bounds the runs the count of a walked search reads: past it
// the count says "at least".
const countWalk = 20000

// chunk is a run of keys in the walk's order and the rowids they span.
type chunk struct {
	last           Cursor // the chunk's last key (the next chunk is past it)
	minRow, maxRow int64
	n              int // runs in the chunk
}

// nextChunk is the next size runs past from (its direction) that match
// lq's filters.
func (s *Store) nextChunk(ctx context.Context, lq listQuery, from Cursor, size int) (chunk, error) {
	query, args := pageQuery(`rowid, created_at, id`, lq.where, lq.args, from, size)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return chunk{}, fmt.Errorf("history: search: %w", err)
	}
	defer rows.Close()
	c := chunk{minRow: 1<<63 - 1, maxRow: -1 << 63}
	dir := from.Dir
	if dir == First {
		dir = Older // the next chunk is older than this one's last run
	}
	for rows.Next() {
		var row, created int64
		var id string
		if err := rows.Scan(&row, &created, &id); err != nil {
			return chunk{}, fmt.Errorf("history: search: %w", err)
		}
		c.minRow, c.maxRow = min(c.minRow, row), max(c.maxRow, row)
		c.last = Cursor{Dir: dir, Created: fromMillis(created), ID: id}
		c.n++
	}
	return c, rows.Err()
}

// walkChunkQuery is the query of up to n runs of the chunk from from
// (exclusive) to last (inclusive) matching lq, rowids between minRow and
// maxRow, in from's order.
func walkChunkQuery(lq listQuery, from, last Cursor, minRow, maxRow int64, n int) (string, []any) {
	where, args := lq.where, append([]any{}, lq.args...)
	upTo := `(created_at, id) >= (?, ?)`
	if from.Dir == Newer {
		upTo = `(created_at, id) <= (?, ?)`
	}
	if last.Dir != First {
		where += ` AND ` + upTo
		args = append(args, millis(last.Created), last.ID)
	}
	where += ` AND rowid IN (SELECT rowid FROM runs_fts WHERE runs_fts MATCH ? AND rowid BETWEEN ? AND ?)`
	args = append(args, lq.match, minRow, maxRow)
	return pageQuery(listColumns, where, args, from, n)
}

// walk calls fn with each chunk from cur on until fn says stop or the
// runs end.
func (s *Store) walk(ctx context.Context, lq listQuery, cur Cursor, fn func(from Cursor, c chunk) (bool, error)) error {
	from, size := cur, walkFirst
	for {
		c, err := s.nextChunk(ctx, lq, from, size)
		if err != nil || c.n == 0 {
			return err
		}
		if stop, err := fn(from, c); err != nil || stop || c.n < size {
			return err
		}
		from, size = c.last, min(size*2, walkMax)
	}
}

// walkPage reads up to n runs of lq from cur on, in cur's order.
func (s *Store) walkPage(ctx context.Context, lq listQuery, cur Cursor, n int) ([]Entry, error) {
	var out []Entry
	err := s.walk(ctx, lq, cur, func(from Cursor, c chunk) (bool, error) {
		query, args := walkChunkQuery(lq, from, c.last, c.minRow, c.maxRow, n-len(out))
		got, err := s.entries(ctx, false, query, args)
		out = append(out, got...)
		return len(out) >= n, err
	})
	return out, err
}

// count is how many runs lq selects, at most CountCap, and whether there
// are more (for a walked search: may be more, as it reads at most
// countWalk runs; the page says "at least").
func (s *Store) count(ctx context.Context, lq listQuery) (int, bool, error) {
	var n int
	if lq.match == "" {
		if err := s.read(ctx, lq.bitmap, func(q queryer) error {
			return q.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT 1 FROM runs WHERE `+lq.where+` LIMIT ?) AS matching`),
				append(lq.args, CountCap+1)...).Scan(&n)
		}); err != nil {
			return 0, false, fmt.Errorf("history: list: %w", err)
		}
		return min(n, CountCap), n > CountCap, nil
	}
	read, capped := 0, false
	err := s.walk(ctx, lq, Cursor{}, func(from Cursor, c chunk) (bool, error) {
		query, args := walkChunkQuery(lq, from, c.last, c.minRow, c.maxRow, CountCap+1-n)
		var got int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (`+query+`) AS matching`), args...).Scan(&got); err != nil {
			return true, fmt.Errorf("history: search: %w", err)
		}
		n, read = n+got, read+c.n
		capped = n > CountCap || read >= countWalk
		return capped, nil
	})
	return min(n, CountCap), capped, err
}
