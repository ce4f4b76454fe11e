-- An experiment's outcome in a line (its verdict, or that it was
-- stopped), for the history's list.
ALTER TABLE experiments ADD COLUMN summary TEXT NOT NULL DEFAULT '';
