-- Experiments started from the page (issue #21): the experiment file it
-- ran and its results (each cell's answer and checks, the blind votes) as
-- JSON, by the owner's hash. Its runs are in runs, with group_id
-- 'experiment-' || id. Times are Unix milliseconds.
CREATE TABLE experiments (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    title      TEXT NOT NULL,
    file       TEXT NOT NULL,
    results    TEXT NOT NULL,
    share_id   TEXT UNIQUE
);
CREATE INDEX experiments_owner ON experiments (owner, created_at DESC);
