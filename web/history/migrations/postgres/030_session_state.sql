-- Each session's state that a reload brings back (the playground's last
-- form, the compare panes, the experiment's setup), one row per kind and
-- session key (a hash of the session's id): a row in the history's own
-- writes costs far less than a file per session (docs/performance.md),
-- and every instance on one PostgreSQL sees it.
CREATE TABLE session_state (
    kind       TEXT NOT NULL,
    owner      TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, owner)
);
CREATE INDEX session_state_updated ON session_state (updated_at);
