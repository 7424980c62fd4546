-- Members in their own language (issue 24): the language a member is written to when no
-- interaction says it (DMs typed after a restart, check-in reminders). `chosen` = 1 when the
-- member picked it with /survey language, and then it wins over their Discord client's
-- language; 0 when it was only seen on their latest survey or check-in start. One row per
-- person, not per server; erased with the rest of their data.
CREATE TABLE member_languages (
    user_id INTEGER PRIMARY KEY,
    language TEXT NOT NULL CHECK (length(language) BETWEEN 2 AND 16),
    chosen INTEGER NOT NULL DEFAULT 0 CHECK (chosen IN (0, 1)),
    updated_at TEXT NOT NULL
) STRICT;
