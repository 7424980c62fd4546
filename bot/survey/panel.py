"""The survey panel: the "Take the survey" message moderators post in a channel, the
pattern members know from form bots (issue 21).

The rules live here, with no Discord types: what a moderator's title and text may hold, the
line saying how many members have taken part (only ever a published release's number), and
the participation counts moderators see in `/survey-admin status`. `cogs/survey/panel.py`
draws them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.errors import UserFacingError
from bot.i18n import N_, SOURCE, _, current_language, formats
from bot.storage import Database
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.panels import (
    CheckinCounts,
    PanelRecord,
    PanelRepository,
    ParticipationRepository,
    SurveyCounts,
)
from bot.storage.releases import ReleaseRecord, ReleaseRepository
from bot.storage.tx import Tx

# A panel is read in a busy channel: a title and a few short paragraphs, not a wall.
TITLE_MAX = 100
TEXT_MAX = 1000
LINES_MAX = 15

# Translators: the text of the panel inviting members to the survey; /survey delete is a
# command's name and stays in English.
DEFAULT_TEXT = N_(
    "Help this community learn what comes with hair loss and what helps: a short survey "
    "about your scalp and your hair, answered privately in your DMs. Press the button to "
    "begin; you can pause and come back whenever you like.\n\n"
    "Nobody sees your individual answers: results only ever show groups of members, and "
    "/survey delete erases your answers at any time."
)

# Mentions that would reach many people at once. The panel is sent with every mention
# switched off, so none would ping; a panel that reads "@everyone" is refused all the same.
_MASS_MENTION = re.compile(r"@(everyone|here)\b|<@&\d+>", re.IGNORECASE)


class PanelTextRefused(UserFacingError):
    """The moderator's title or text breaks a rule; every broken rule is named at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        # Translators: {problems} are one or more sentences, each naming a problem.
        refused = _("The panel was not changed: {problems}")
        super().__init__(refused.format(problems=" ".join(problems)))


@dataclass(frozen=True, slots=True)
class PanelText:
    title: str
    text: str


def default_text(survey_title: str) -> PanelText:
    """The panel's words until a moderator writes their own (in the current language)."""
    return PanelText(survey_title[:TITLE_MAX], _(DEFAULT_TEXT))


def check_text(title: str, text: str) -> PanelText:
    """The title and text as they will be shown (trimmed), or `PanelTextRefused` naming
    every problem, so a moderator fixes them in one go."""
    title, text = title.strip(), text.strip()
    problems = []
    if not title:
        problems.append(_("The title is empty."))
    elif "\n" in title:
        problems.append(_("The title must be one line."))
    if len(title) > TITLE_MAX:
        too_long = _("The title has {count} characters; at most {limit} fit.")
        problems.append(too_long.format(count=len(title), limit=TITLE_MAX))
    if not text:
        problems.append(_("The text is empty."))
    if len(text) > TEXT_MAX:
        too_long = _("The text has {count} characters; at most {limit} fit.")
        problems.append(too_long.format(count=len(text), limit=TEXT_MAX))
    if (lines := text.count("\n") + 1) > LINES_MAX:
        too_long = _("The text has {count} lines; at most {limit} fit.")
        problems.append(too_long.format(count=lines, limit=LINES_MAX))
    if _MASS_MENTION.search(title) or _MASS_MENTION.search(text):
        problems.append(
            # Translators: @everyone and @here are Discord mentions and stay as they are.
            _(
                "Mentions of @everyone, @here or a role are not allowed on the panel: it "
                "should invite members, not ping them."
            )
        )
    if problems:
        raise PanelTextRefused(problems)
    return PanelText(title, text)


def taken_part(latest: ReleaseRecord | None, *, results_public: bool) -> str | None:
    """The panel's line on how many have taken part: the latest release's number of
    members, the one `/survey results` shows (a release only follows a batch of changes, so
    the number cannot single anyone out), never a live count. None when results are for
    moderators only: the panel is public."""
    if not results_public:
        return None
    if latest is None:
        return _("No results published yet: they appear once enough members have taken part.")
    when = _day(latest.claimed_on)
    if latest.respondents < latest.k:
        # Translators: {date} is the day of the latest results, e.g. "7 Dec 2026".
        fewer = _("Fewer than {k} members had taken part as of {date}.")
        return fewer.format(k=latest.k, date=when)
    # Translators: {date} is the day of the latest results, e.g. "7 Dec 2026".
    taken = _("{members} members had taken part as of {date} (latest results).")
    return taken.format(members=latest.respondents, date=when)


def _day(day: date) -> str:
    """As `/survey results` dates a release: "7 Dec 2026" in English, the current
    language's usual date elsewhere (`bot.results.wording.day_text`)."""
    return formats.day(day, "d MMM y" if current_language() == SOURCE else "medium")


def share(part: int, whole: int) -> int | None:
    """Whole percent, or None when there is nothing to divide by."""
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True, slots=True)
class Participation:
    """What `/survey-admin status` shows: exact, live counts, for moderators only."""

    survey: SurveyCounts
    checkins: CheckinCounts
    checkins_enabled: bool

    @property
    def finished_share(self) -> int | None:
        return share(self.survey.finished, self.survey.started)

    @property
    def answered_share(self) -> int | None:
        return share(self.checkins.answered, self.checkins.reminded)


@dataclass(frozen=True, slots=True)
class Shown:
    """A panel as it is to be drawn: where, its words, and the taken-part line."""

    record: PanelRecord
    text: PanelText
    headline: str | None


class Panels:
    """The server's survey panel, stored with its settings, and its numbers."""

    def __init__(self, db: Database, survey_title: str) -> None:
        self.db = db
        self.survey_title = survey_title
        # A text refused by the checks, per (server, moderator), until it is posted: kept
        # in memory beside the stored panel so nothing typed is lost on the way.
        self.drafts: dict[tuple[int, int], PanelText] = {}

    def text_of(self, record: PanelRecord) -> PanelText:
        default = default_text(self.survey_title)
        return PanelText(record.title or default.title, record.text or default.text)

    async def shown(self, guild_id: int) -> Shown:
        """The stored panel, its words and the taken-part line, read at one moment."""

        def unit(tx: Tx) -> tuple[PanelRecord, ReleaseRecord | None, bool]:
            settings = GuildSettingsRepository(tx).of(guild_id)
            public = settings.results_visibility == "everyone"
            return PanelRepository(tx).of(guild_id), ReleaseRepository(tx).latest(guild_id), public

        record, latest, public = await self.db.read(unit)
        return Shown(record, self.text_of(record), taken_part(latest, results_public=public))

    async def placed(
        self, guild_id: int, channel_id: int, message_id: int, text: PanelText
    ) -> None:
        """The panel was posted or edited there, with these words."""
        record = PanelRecord(guild_id, channel_id, message_id, text.title, text.text)
        await self.db.run(lambda tx: PanelRepository(tx).save(record))

    async def removed(self, guild_id: int) -> PanelRecord:
        """Forget where the panel is (its words are kept for the next post); returns where
        it was."""

        def unit(tx: Tx) -> PanelRecord:
            panels = PanelRepository(tx)
            record = panels.of(guild_id)
            if record.posted:
                panels.save(replace(record, channel_id=None, message_id=None))
            return record

        return await self.db.run(unit)

    async def gone(self, guild_id: int, message_id: int) -> None:
        """The panel message was deleted in Discord."""
        await self.db.run(lambda tx: PanelRepository(tx).forget_message(guild_id, message_id))

    async def participation(self, guild_id: int) -> Participation:
        def unit(tx: Tx) -> Participation:
            counts = ParticipationRepository(tx)
            enabled = GuildSettingsRepository(tx).of(guild_id).checkins_enabled
            return Participation(counts.survey(guild_id), counts.checkins(guild_id), enabled)

        return await self.db.read(unit)
