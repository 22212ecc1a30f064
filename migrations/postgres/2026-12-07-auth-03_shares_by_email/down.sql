DELETE FROM shares WHERE subject_kind = 'email';
ALTER TABLE shares DROP COLUMN accepted_at;
