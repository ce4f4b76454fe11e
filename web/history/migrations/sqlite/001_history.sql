-- Runs and comparisons. Times are Unix milliseconds; JSON is kept as text.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    group_id      TEXT NOT NULL DEFAULT '',
    pane          INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    provider      TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    model         TEXT NOT NULL,
    model_label   TEXT NOT NULL,
    style         TEXT NOT NULL,
    status        TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    form          TEXT NOT NULL,
    request       TEXT NOT NULL,
    curl          TEXT NOT NULL,
    output        TEXT NOT NULL DEFAULT '{}',
    search        TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    failure       TEXT NOT NULL DEFAULT '',
    transcript    BLOB,
    share_id      TEXT UNIQUE
);
CREATE INDEX runs_owner_created ON runs (owner, created_at DESC);
CREATE INDEX runs_group ON runs (group_id, pane);
CREATE INDEX runs_status ON runs (status, updated_at);

CREATE TABLE comparisons (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    title      TEXT NOT NULL,
    layout     TEXT NOT NULL,
    share_id   TEXT UNIQUE
);
CREATE INDEX comparisons_owner ON comparisons (owner, created_at DESC);
