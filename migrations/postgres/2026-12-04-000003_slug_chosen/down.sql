ALTER TABLE releases DROP COLUMN slug_chosen;
