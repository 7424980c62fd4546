-- PostgreSQL's twin of sqlite/0008_survey_panel.sql: the same columns, with BIGINT ids.
-- The survey panel (issue 21): the "Take the survey" message a moderator posts with
-- `/survey-admin post`, one per server. Where it is (to edit it when a release is made, and
-- to replace or remove it) and the moderator's own title and text (NULL: the default).
-- Kept beside the other per-server settings: it holds nothing about any member.
ALTER TABLE guild_settings ADD COLUMN panel_channel_id BIGINT;
ALTER TABLE guild_settings ADD COLUMN panel_message_id BIGINT;
ALTER TABLE guild_settings ADD COLUMN panel_title TEXT;
ALTER TABLE guild_settings ADD COLUMN panel_text TEXT;
