-- The history list at 100,000 runs (issue #22): pages are keyset pages
-- on (created_at, id), newest first, so each filter the page has gets an
-- index that yields its runs in that order: the owner's, by provider, by
-- model (a provider and a model use the model's). A date range is a range
-- of created_at in any of them.
DROP INDEX runs_owner_created;
CREATE INDEX runs_owner_created ON runs (owner, created_at, id);
CREATE INDEX runs_owner_provider ON runs (owner, provider, created_at, id);
CREATE INDEX runs_owner_model ON runs (owner, model, created_at, id);
