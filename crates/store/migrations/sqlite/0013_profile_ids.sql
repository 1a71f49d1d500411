-- Public profiles are addressed by an unguessable id, not by the sequential row id, so the members
-- of an instance cannot be listed by counting. 96 random bits each.
ALTER TABLE users ADD COLUMN profile_id TEXT;
UPDATE users SET profile_id = lower(hex(randomblob(12)));
CREATE UNIQUE INDEX users_profile_id ON users (profile_id);

-- The default display name used to be the address's local part: no part of an address is shown
-- unless its owner chose it. Names still equal to that default become "Reader <6 hex>".
UPDATE users SET display_name = 'Reader ' || substr(profile_id, 1, 6)
WHERE display_name = substr(email, 1, instr(email, '@') - 1);
