-- The values a run's variables ({{name}}) were filled with, as a JSON
-- object ('' for none): the form is the template, so a replay restores
-- both.
ALTER TABLE run_inputs ADD COLUMN vars TEXT NOT NULL DEFAULT '';
