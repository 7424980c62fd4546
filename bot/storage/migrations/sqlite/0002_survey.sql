-- Survey responses: one row per attempt. A retake starts a new row; the old one stays as
-- history. `position` is the step the member is looking at ('summary' at the end).
CREATE TABLE responses (
    id                    INTEGER PRIMARY KEY,
    guild_id              INTEGER NOT NULL,
    user_id               INTEGER NOT NULL,
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

-- At most one survey in progress per member and server.
CREATE UNIQUE INDEX responses_open ON responses (guild_id, user_id) WHERE status = 'in_progress';
CREATE INDEX responses_member ON responses (user_id, updated_at);
CREATE INDEX responses_guild ON responses (guild_id, status);

-- One row per answered (or skipped) question; group fields use "<group>.<field>" with
-- the repeated item (e.g. a treatment id) in `item`.
CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    item        TEXT NOT NULL DEFAULT '',
    number      INTEGER,
    text        TEXT,
    skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id, item)
) STRICT, WITHOUT ROWID;

-- Chosen choice ids, one row each, so counts are plain indexed GROUP BYs.
CREATE TABLE answer_choices (
    response_id INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    item        TEXT NOT NULL DEFAULT '',
    choice_id   TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id, item, choice_id),
    FOREIGN KEY (response_id, question_id, item)
        REFERENCES answers (response_id, question_id, item) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX answer_choices_question ON answer_choices (question_id, choice_id);
