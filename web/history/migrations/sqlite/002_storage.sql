-- Each run is stored once (security review, finding 13). The inputs (form
-- and request) move to a table of their own: they never change, and SQLite
-- rewrites a whole row (its overflow pages too) on every update of the run
-- (progress, liveness marks, the ending). The curl is derived from the
-- request when read, and the prompt column keeps only an excerpt (the
-- whole prompt is in the form). bytes is what the run takes in the
-- database, for the per-owner quota.
CREATE TABLE run_inputs (
    run_id    TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    form      TEXT NOT NULL,
    form_refs TEXT NOT NULL DEFAULT '',
    request   TEXT NOT NULL
);
INSERT INTO run_inputs (run_id, form, request) SELECT id, form, request FROM runs;
ALTER TABLE runs ADD COLUMN input_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET prompt = substr(prompt, 1, 4096) WHERE length(prompt) > 4096;
UPDATE runs SET input_bytes = length(CAST(form AS BLOB)) + length(CAST(request AS BLOB));
UPDATE runs SET bytes = input_bytes + length(CAST(prompt AS BLOB)) + length(CAST(output AS BLOB)) + length(CAST(search AS BLOB))
    + length(CAST(summary AS BLOB)) + length(CAST(failure AS BLOB)) + COALESCE(length(transcript), 0);
ALTER TABLE runs DROP COLUMN form;
ALTER TABLE runs DROP COLUMN request;
ALTER TABLE runs DROP COLUMN curl;
CREATE INDEX runs_created ON runs (created_at);
