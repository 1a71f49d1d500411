-- Unguessable profile ids and no default name taken from the address
-- (see migrations/sqlite/0013_profile_ids.sql).
ALTER TABLE users ADD COLUMN profile_id TEXT;
UPDATE users SET profile_id = substr(replace(gen_random_uuid()::text, '-', ''), 1, 24);
ALTER TABLE users ALTER COLUMN profile_id SET NOT NULL;
CREATE UNIQUE INDEX users_profile_id ON users (profile_id);

UPDATE users SET display_name = 'Reader ' || substr(profile_id, 1, 6)
WHERE display_name = split_part(email, '@', 1);
