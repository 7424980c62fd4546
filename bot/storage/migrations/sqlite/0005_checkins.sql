-- Follow-up check-ins (issue 12). Everything is keyed by (guild_id, user_id) like the
-- survey, so erasing a member is a few DELETEs by that pair (CheckinRepository.erase_member);
-- child rows go with their parents through ON DELETE CASCADE.

-- A member's opt-in: every 2, 4 or 8 weeks on a weekday and local hour in their IANA zone.
-- Occurrences are counted from `anchor_date` (local date of the first check-in);
-- `next_due_utc` is the next one, NULL while paused or stopped.
CREATE TABLE checkin_enrolments (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    interval_weeks      INTEGER NOT NULL DEFAULT 4 CHECK (interval_weeks IN (2, 4, 8)),
    weekday             INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    hour                INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    time_zone           TEXT NOT NULL,
    anchor_date         TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'paused', 'stopped')),
    pause_reason        TEXT CHECK (pause_reason IN ('member', 'dm_closed', 'gone')),
    -- Set when the bot paused the schedule; cleared once the member has been told.
    pause_notice        INTEGER NOT NULL DEFAULT 0 CHECK (pause_notice IN (0, 1)),
    next_due_utc        TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (guild_id, user_id),
    CHECK ((status = 'active') = (next_due_utc IS NOT NULL)),
    CHECK ((status = 'paused') = (pause_reason IS NOT NULL))
) STRICT;

-- The scheduler's question, "who is due?", answered from the index alone.
CREATE INDEX checkin_enrolments_due ON checkin_enrolments (next_due_utc) WHERE status = 'active';

-- The regimen: which treatments (the survey's `treatments` choice ids), since when, until
-- when. Months are 'YYYY-MM'. A treatment stopped and restarted has two rows; at most one
-- row per treatment is open (not stopped).
CREATE TABLE regimen_entries (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    treatment_id       TEXT NOT NULL,
    started_month      TEXT CHECK (started_month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    stopped_month      TEXT CHECK (stopped_month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    dose_changed_month TEXT CHECK (dose_changed_month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
    source             TEXT NOT NULL DEFAULT 'member' CHECK (source IN ('survey', 'checkin', 'member')),
    updated_at         TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX regimen_entries_open
    ON regimen_entries (guild_id, user_id, treatment_id) WHERE stopped_month IS NULL;
CREATE INDEX regimen_entries_treatment ON regimen_entries (guild_id, treatment_id);

-- Check-in responses, parallel to `responses` (kept apart so survey results, which read
-- each member's latest completed response, never mistake a check-in for a survey).
CREATE TABLE checkin_responses (
    id                    INTEGER PRIMARY KEY,
    guild_id              INTEGER NOT NULL,
    user_id               INTEGER NOT NULL,
    period                TEXT,  -- the reminder's period key; NULL when started by the member
    questionnaire_version INTEGER NOT NULL,
    status                TEXT NOT NULL DEFAULT 'in_progress'
                          CHECK (status IN ('in_progress', 'completed')),
    position              TEXT,
    surface               TEXT NOT NULL DEFAULT 'dm' CHECK (surface IN ('dm', 'guild')),
    prompt_channel_id     INTEGER,
    prompt_message_id     INTEGER,
    started_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    completed_at          TEXT
) STRICT;

CREATE UNIQUE INDEX checkin_responses_open
    ON checkin_responses (guild_id, user_id) WHERE status = 'in_progress';
CREATE INDEX checkin_responses_member ON checkin_responses (guild_id, user_id, id);

-- Same shape as `answers` / `answer_choices`, so the survey engine's Answer maps 1:1.
CREATE TABLE checkin_answers (
    response_id INTEGER NOT NULL REFERENCES checkin_responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    item        TEXT NOT NULL DEFAULT '',
    number      INTEGER,
    text        TEXT,
    skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id, item)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkin_answer_choices (
    response_id INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    item        TEXT NOT NULL DEFAULT '',
    choice_id   TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id, item, choice_id),
    FOREIGN KEY (response_id, question_id, item)
        REFERENCES checkin_answers (response_id, question_id, item) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX checkin_answer_choices_question
    ON checkin_answer_choices (question_id, item, choice_id);

-- One row per scheduled period of an enrolment. Inserting the row *is* the claim: the
-- UNIQUE pair makes a second claim of the same period a no-op, and the row is written in
-- the same transaction that moves the enrolment's next_due_utc on.
--   claimed -> sent | skipped | failed. `run_id` names the scheduler run holding a claim:
--   a claim left by an earlier run (a crash mid-send) is retried, counting `attempts`.
CREATE TABLE checkin_reminders (
    id            INTEGER PRIMARY KEY,
    enrolment_id  INTEGER NOT NULL REFERENCES checkin_enrolments (id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    period        TEXT NOT NULL,
    due_utc       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'skipped', 'failed')),
    reason        TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    run_id        TEXT,
    claimed_at    TEXT NOT NULL,
    finished_at   TEXT,
    UNIQUE (enrolment_id, period)
) STRICT;

CREATE INDEX checkin_reminders_open ON checkin_reminders (state) WHERE state = 'claimed';
CREATE INDEX checkin_reminders_guild ON checkin_reminders (guild_id, claimed_at);
