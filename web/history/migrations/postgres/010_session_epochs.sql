-- Each session's epoch: a cookie of an older epoch was captured before
-- the session's keys last changed, and is refused. By the owner's hash,
-- like the runs; updated_at is Unix milliseconds.
CREATE TABLE session_epochs (
    owner      TEXT PRIMARY KEY,
    epoch      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
