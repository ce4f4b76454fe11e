-- What a session's runs take, read from an index (issue #22): the quota
-- sums it on every write and the background passes for every session and
-- the whole history; from the table it would read every row, their
-- overflow pages too, at 100,000 runs a gigabyte or more.
CREATE INDEX runs_owner_bytes ON runs (owner, bytes);
