"""`anagen check`: everything that can be verified without connecting to Discord."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.storage import Database, DatabaseLocation, SQLiteLocation, StorageError, load_migrations
from bot.storage.location import PostgresLocation

if TYPE_CHECKING:
    from bot.survey.groupings import TreatmentsSpec

# Data files (questionnaire, knowledge base) register a validator here: it returns a
# one-line description on success and raises ValueError with a one-line reason otherwise,
# or CheckProblems when it found several independent problems.
DataCheck = Callable[[Settings], str]
DATA_CHECKS: list[DataCheck] = []


class CheckProblems(ValueError):
    """Several problems from one check, each printed on its own PROBLEM line so that an
    operator fixing a file sees every mistake at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class CheckReport:
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Worth fixing, but the bot runs: a warning never fails the check.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _shown(location: DatabaseLocation) -> str:
    """The database as an operator must see it: an SQLite file by its absolute path (the
    default, anagen.db, is relative to wherever anagen runs)."""
    if isinstance(location, SQLiteLocation):
        return os.path.abspath(location.path)
    return str(location)


async def _check_database(
    location: DatabaseLocation, report: CheckReport, *, usable: bool = True
) -> None:
    """`usable`: False when the settings already reported the location as one that cannot
    work (its folder missing, not writable): then it gets no `ok` line of its own."""
    try:
        migrations = load_migrations(location.dialect)
    except ValueError as exc:
        report.problems.append(f"migrations: {exc}")
        return
    report.passed.append(f"migrations: {len(migrations)} files, numbered without gaps")
    if isinstance(location, PostgresLocation):
        _check_tls(location, report)
    if isinstance(location, SQLiteLocation) and location.path.exists():
        _check_database_mode(location, report)
    if isinstance(location, SQLiteLocation) and not location.path.exists():
        if usable:
            report.passed.append(
                f"database {_shown(location)}: does not exist yet; the bot creates it on "
                "first start (if the bot already runs elsewhere, run anagen where it runs)"
            )
        return
    try:
        async with await Database.open(location, readonly=True, migrate=False) as db:
            pending = await db.pending_migrations(migrations)
            integrity = await db.integrity_problems()
            version = await db.schema_version()
    except StorageError as exc:
        report.problems.append(f"database: {exc}")  # the message names the location
        return
    if integrity:
        report.problems.append(
            f"database {_shown(location)}: integrity check failed ({'; '.join(integrity[:3])}); "
            "restore it from a backup."
        )
        return
    note = f"{len(pending)} migrations will be applied on next start" if pending else "up to date"
    checked = "integrity ok" if isinstance(location, SQLiteLocation) else "reachable"
    report.passed.append(f"database {_shown(location)}: schema {version}, {checked}, {note}")


def _check_tls(location: PostgresLocation, report: CheckReport) -> None:
    """Without sslmode verify-ca or verify-full, libpq's default ("prefer") falls back to
    plain text and never checks who answers: anyone on the path reads and alters answers."""
    if (exposed := location.unverified_remote_hosts()) is None:
        return
    hosts, sslmode = exposed
    report.warnings.append(
        f"database {location}: the connection to {', '.join(hosts)} is not verified "
        f"(sslmode={sslmode}), so anyone on the network path can read or alter members' "
        "answers; add sslmode=verify-full&sslrootcert=PATH (the server's CA certificate) to "
        "the URL."
    )


def _open_to_others(path: Path) -> int | None:
    """The file's permission bits when they give other accounts on this machine (group or
    others) any access; None otherwise, or where POSIX modes do not apply."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def _check_database_mode(location: SQLiteLocation, report: CheckReport) -> None:
    files = [location.path.with_name(location.path.name + s) for s in ("", "-wal", "-shm")]
    open_files = [(file, mode) for file in files if (mode := _open_to_others(file)) is not None]
    if not open_files:
        return
    modes = ", ".join(f"{file.name} {mode:04o}" for file, mode in open_files)
    report.warnings.append(
        f"database {location}: other accounts on this machine can read members' answers "
        f"({modes}); run: chmod 600 {' '.join(str(file) for file, _ in open_files)}"
    )


def _check_env_file_mode(env_file: Path | None, report: CheckReport) -> None:
    if env_file is None or not env_file.is_file():
        return
    if (mode := _open_to_others(env_file)) is not None:
        report.warnings.append(
            f"settings file {env_file}: mode {mode:04o} lets other accounts on this machine "
            f"read DISCORD_TOKEN and any database password in it; run: chmod 600 {env_file}"
        )


def _check_questionnaire(settings: Settings) -> str:
    from bot.survey.questionnaire import QuestionnaireError, load_questionnaire

    try:
        questionnaire = load_questionnaire(settings.questionnaire_path)
    except QuestionnaireError as exc:
        raise CheckProblems([f"questionnaire {exc.source}: {p}" for p in exc.problems]) from exc
    if unknown := _unknown_entries(settings, questionnaire.results.treatments):
        raise CheckProblems(
            [
                f"questionnaire {questionnaire.source}: results treatments choices: "
                f"{entry!r} is not an entry of the knowledge base"
                for entry in unknown
            ]
        )
    return (
        f"questionnaire {questionnaire.source}: version {questionnaire.version}, "
        f"{len(questionnaire.questions)} questions"
    )


def _unknown_entries(settings: Settings, spec: TreatmentsSpec | None) -> list[str]:
    """Knowledge-base ids the questionnaire's treatments mapping names but the knowledge
    base lacks (none when it cannot be read: its own check reports that)."""
    from bot.treatments.knowledge import KnowledgeBaseError, load_knowledge_base

    if spec is None or not spec.entries:
        return []
    try:
        kb = load_knowledge_base(settings.knowledge_base_path)
    except KnowledgeBaseError:
        return []
    return [entry for entry, _ in spec.entries if kb.get(entry) is None]


def _check_knowledge_base(settings: Settings) -> str:
    from bot.treatments.knowledge import check_knowledge_base

    return check_knowledge_base(settings.knowledge_base_path)


DATA_CHECKS.extend([_check_questionnaire, _check_knowledge_base])


def _check_translations(settings: Settings, report: CheckReport) -> None:
    """Each questionnaire's translations: a key naming nothing (a typo, a removed id) or
    left blank is a problem, since its text would silently stay English; a missing key
    is a warning (that text is shown in English)."""
    from bot.i18n import TRANSLATED
    from bot.survey.questionnaire import (
        CHECKIN_BUNDLED,
        QuestionnaireError,
        load_questionnaire,
    )
    from bot.survey.translations import (
        TranslationError,
        coverage,
        read_translation,
        translation_path,
    )

    for path in (settings.questionnaire_path, CHECKIN_BUNDLED):
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError:
            continue  # its own check reports it
        found = []
        for language in TRANSLATED:
            file = translation_path(questionnaire, language)
            if file is None or not file.is_file():
                continue
            try:
                result = coverage(questionnaire, read_translation(file, language))
            except TranslationError as exc:
                report.problems.append(str(exc))
                continue
            found.append(language)
            for key in result.extra:
                report.problems.append(f"translation {file}: {key!r} is not in the questionnaire")
            for key in result.empty:
                report.problems.append(f"translation {file}: {key!r} is empty")
            if result.missing:
                shown = ", ".join(result.missing[:5]) + (" …" if len(result.missing) > 5 else "")
                report.warnings.append(
                    f"translation {file}: {len(result.missing)} texts untranslated (shown in "
                    f"English): {shown}"
                )
        report.passed.append(
            f"questionnaire {questionnaire.source}: translated into "
            f"{', '.join(found) if found else 'no other language'}"
        )


async def run_checks(
    settings: Settings, settings_problems: list[str], *, env_file: Path | None = None
) -> CheckReport:
    """`env_file`: the .env file the settings were read from, if any."""
    report = CheckReport(problems=list(settings_problems))
    if not settings_problems:
        report.passed.append(
            "settings: all valid (DISCORD_TOKEN has a token's form; whether Discord accepts "
            "it shows when anagen logs in)"
        )
    _check_env_file_mode(env_file, report)
    usable = not any(p.startswith("ANAGEN_DATABASE=") for p in settings_problems)
    await _check_database(settings.database, report, usable=usable)
    for check in DATA_CHECKS:
        try:
            report.passed.append(check(settings))
        except CheckProblems as exc:
            report.problems.extend(exc.problems)
        except ValueError as exc:
            report.problems.append(str(exc))
    _check_translations(settings, report)
    return report
