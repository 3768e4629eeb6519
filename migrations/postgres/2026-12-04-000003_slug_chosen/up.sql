-- Until a release is first published its slug follows its headline, unless an editor chose one.
ALTER TABLE releases ADD COLUMN slug_chosen BOOLEAN NOT NULL DEFAULT FALSE;
-- Before this column, only an editor's slug change moved a slug away from the one given at
-- creation, so a release whose history holds another slug had its slug chosen.
UPDATE releases SET slug_chosen = TRUE
WHERE EXISTS (
    SELECT 1 FROM release_revisions r
    WHERE r.release_id = releases.id AND r.slug <> releases.slug
);
