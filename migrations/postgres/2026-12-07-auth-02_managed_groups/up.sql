-- Groups site admins manage apart from groups any user makes. Only admin-managed groups may
-- appear in policy rules: a user who made a group named like one an admin's rule names would
-- otherwise gain what the rule grants. Groups made by site admins so far become admin-managed,
-- so the rules already written for them keep working; rules naming a user-made group stop
-- applying.
ALTER TABLE user_groups ADD COLUMN managed BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE user_groups SET managed = TRUE WHERE created_by IN (SELECT id FROM users WHERE is_admin);
