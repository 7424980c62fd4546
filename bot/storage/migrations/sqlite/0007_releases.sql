-- Community results are published as releases (issue 19): a frozen snapshot of every public
-- number, made in the background when enough has changed. Commands read the latest ready
-- release; nothing public is counted from live answers.
CREATE TABLE releases (
    guild_id    INTEGER NOT NULL,
    number      INTEGER NOT NULL CHECK (number > 0),
    status      TEXT NOT NULL CHECK (status IN ('building', 'ready')),
    claimed_at  TEXT NOT NULL,
    as_of       TEXT,            -- the snapshot's time: changes after it count towards the next
    respondents INTEGER NOT NULL DEFAULT 0,
    joined      INTEGER NOT NULL DEFAULT 0,  -- completions and check-ins it took in
    left_count  INTEGER NOT NULL DEFAULT 0,  -- erasures, retakes and repeated check-ins
    k           INTEGER NOT NULL DEFAULT 5,
    PRIMARY KEY (guild_id, number)
) STRICT;

CREATE TABLE release_parts (
    guild_id INTEGER NOT NULL,
    number   INTEGER NOT NULL,
    key      TEXT NOT NULL,
    body     TEXT NOT NULL,      -- JSON, or base64 PNG for a chart ("png:" keys)
    PRIMARY KEY (guild_id, number, key),
    FOREIGN KEY (guild_id, number) REFERENCES releases (guild_id, number) ON DELETE CASCADE
) STRICT;

-- An erasure leaves no row behind, yet it changes the next release: it is counted here,
-- with no member id.
CREATE TABLE release_changes (
    guild_id INTEGER NOT NULL,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('erasure'))
) STRICT;
CREATE INDEX release_changes_guild ON release_changes (guild_id, at);

-- A moderator may ask for larger batches (never below 2k), an announcement channel for new
-- releases, and a release now (still only with a full batch).
ALTER TABLE guild_settings ADD COLUMN release_batch INTEGER NOT NULL DEFAULT 0
    CHECK (release_batch >= 0);
ALTER TABLE guild_settings ADD COLUMN announce_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN release_requested INTEGER NOT NULL DEFAULT 0
    CHECK (release_requested IN (0, 1));

-- Who counts (optional): only members holding a role, or members of the server for at least
-- so many days when a release is made; against a crowd of fresh accounts.
ALTER TABLE guild_settings ADD COLUMN count_role_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN count_min_days INTEGER NOT NULL DEFAULT 0
    CHECK (count_min_days >= 0);
