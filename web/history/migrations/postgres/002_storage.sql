-- Each run is stored once (security review, finding 13). The inputs (form
-- and request) move to a table of their own: they never change, and an
-- update of the run (progress, liveness marks, the ending) then does not
-- copy them again. The curl is derived from the request when read, and the
-- prompt column keeps only an excerpt (the whole prompt is in the form).
-- bytes is what the run takes in the database, for the per-owner quota.
CREATE TABLE run_inputs (
    run_id    TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    form      TEXT NOT NULL,
    form_refs TEXT NOT NULL DEFAULT '',
    request   TEXT NOT NULL
);
INSERT INTO run_inputs (run_id, form, request) SELECT id, form, request FROM runs;
ALTER TABLE runs ADD COLUMN input_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET prompt = left(prompt, 4096) WHERE length(prompt) > 4096;
UPDATE runs SET input_bytes = octet_length(form) + octet_length(request);
UPDATE runs SET bytes = input_bytes + octet_length(prompt) + octet_length(output) + octet_length(search)
    + octet_length(summary) + octet_length(failure) + COALESCE(octet_length(transcript), 0);
ALTER TABLE runs DROP COLUMN form;
ALTER TABLE runs DROP COLUMN request;
ALTER TABLE runs DROP COLUMN curl;
CREATE INDEX runs_created ON runs (created_at);
