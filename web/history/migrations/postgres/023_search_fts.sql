-- Full-text search (issue #22): a tsvector of the search column (the
-- prompt and the answer, lower-cased, up to 64 KB a run) with a GIN index.
-- Every run of letters and digits is a word, as SQLite's FTS5 tokenizer
-- splits the text (the default parser would keep "example.com" or
-- "/usr/bin" as one token, and a search for "example" would miss it);
-- 'simple' neither stems nor drops stop words. The column is generated, so
-- adding it fills it for the existing runs, and every write keeps it.
ALTER TABLE runs ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(search, '[^[:alnum:]]+', ' ', 'g'))) STORED;
CREATE INDEX runs_search ON runs USING GIN (search_tsv);
