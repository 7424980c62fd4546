-- PostgreSQL's twin of sqlite/0006_checkin_settings.sql: the same tables, with BIGINT ids and identity keys.
-- Check-ins per server (issue 12): off until a moderator switches them on, and the
-- interval offered to members by default (they may still pick 2, 4 or 8 weeks).
ALTER TABLE guild_settings ADD COLUMN checkins_enabled INTEGER NOT NULL DEFAULT 0
    CHECK (checkins_enabled IN (0, 1));
ALTER TABLE guild_settings ADD COLUMN checkin_interval_weeks INTEGER NOT NULL DEFAULT 4
    CHECK (checkin_interval_weeks IN (2, 4, 8));

-- "Remind me tomorrow": one extra reminder for the period the member put off. Its log row
-- gets its own period key ("<period>+<local date>"), so it is claimed once like any other.
ALTER TABLE checkin_enrolments ADD COLUMN snooze_period TEXT;
ALTER TABLE checkin_enrolments ADD COLUMN snooze_until_utc TEXT;
CREATE INDEX checkin_enrolments_snoozed ON checkin_enrolments (snooze_until_utc)
    WHERE snooze_until_utc IS NOT NULL;
