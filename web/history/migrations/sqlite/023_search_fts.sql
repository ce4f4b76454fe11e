-- Full-text search (issue #22): an FTS5 index over the search column (the
-- prompt and the answer, lower-cased, up to 64 KB a run), its content read
-- from runs by rowid (external content: the text is not stored twice) and
-- kept in step by the triggers below. Existing runs are indexed by the
-- rebuild. prefix='2 3' keeps the short prefixes a search as one types
-- ends with cheap.
--
-- runs has no INTEGER PRIMARY KEY, so a VACUUM may renumber its rowids:
-- after one, run INSERT INTO runs_fts (runs_fts) VALUES ('rebuild').
CREATE VIRTUAL TABLE runs_fts USING fts5 (search, content = 'runs', content_rowid = 'rowid', prefix = '2 3');
INSERT INTO runs_fts (runs_fts) VALUES ('rebuild');
CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN INSERT INTO runs_fts (rowid, search) VALUES (new.rowid, new.search); END;
CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN INSERT INTO runs_fts (runs_fts, rowid, search) VALUES ('delete', old.rowid, old.search); END;
CREATE TRIGGER runs_fts_update AFTER UPDATE OF search ON runs WHEN old.search IS NOT new.search BEGIN INSERT INTO runs_fts (runs_fts, rowid, search) VALUES ('delete', old.rowid, old.search); INSERT INTO runs_fts (rowid, search) VALUES (new.rowid, new.search); END;
