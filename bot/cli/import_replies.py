"""`anagen import-replies`: questionnaire replies written in a thread, mapped to the
questionnaire (what was and was not mapped printed), and stored once each: a file can grow
and be imported again."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3

from bot.cli.database import (
    UnknownGuild,
    absolute,
    database_name,
    database_or_exit,
    require_guild,
    settings_or_exit,
)
from bot.cli.output import EXIT_FAILURE, EXIT_OK, error
from bot.settings import Settings
from bot.storage import Database, StorageError
from bot.storage.guilds import imported_texts
from bot.survey.questionnaire import QuestionnaireError


def command_import(args: argparse.Namespace) -> int:
    from bot.results.importer import (
        ImportFileError,
        parse_reply,
        read_replies_file,
        split_replies,
    )

    try:
        text = read_replies_file(args.file)  # UTF-8 and size-capped: one clear line if not
    except ImportFileError as exc:
        error(str(exc))
        return EXIT_FAILURE
    except OSError as exc:
        error(f"cannot read {absolute(args.file)}: {exc.strerror or exc}.")
        return EXIT_FAILURE
    replies = [parse_reply(block) for block in split_replies(text)]
    if not replies:
        error(f"no replies in the 'Key: value' format found in {args.file}.")
        return EXIT_FAILURE
    settings: Settings | int = (
        settings_or_exit(args, require_token=False) if args.dry_run else database_or_exit(args)
    )
    if isinstance(settings, int):
        return settings
    for number, reply in enumerate(replies, 1):
        print(f"Reply {number}:")
        for line in reply.mapped:
            print(f"  mapped      {line}")
        for line in reply.unmapped:
            print(f"  not mapped  {line}")
    if args.dry_run:
        print(f"{len(replies)} replies read; nothing stored (--dry-run).")
        return EXIT_OK

    async def store() -> tuple[list[int], list[int]]:
        from bot.results.service import ResultsService
        from bot.survey.questionnaire import load_questionnaire

        questionnaire = load_questionnaire(settings.questionnaire_path)
        async with await Database.open(settings.database) as db:
            if not args.new_server:
                await require_guild(db, args.guild)
            stored = await db.read(lambda tx: imported_texts(tx, args.guild))
            seen = set(stored)
            fresh: list[int] = []
            repeated: list[int] = []
            for number, reply in enumerate(replies, 1):
                key = reply.original.strip()
                (repeated if key in seen else fresh).append(number)
                seen.add(key)
            service = ResultsService(db, questionnaire)
            ids = await service.import_replies(args.guild, [replies[n - 1] for n in fresh])
            if args.include_imported:
                await service.update_settings(args.guild, include_imported=True)
            return ids, repeated

    try:
        ids, repeated = asyncio.run(store())
    except UnknownGuild as exc:
        exc.explain(database_name(settings), new_server_flag=True)
        return EXIT_FAILURE
    except (StorageError, QuestionnaireError, sqlite3.Error) as exc:
        error(str(exc))
        return EXIT_FAILURE
    if repeated:
        print(
            f"Skipped reply {', '.join(map(str, repeated))}: already imported for server "
            f"{args.guild} (the same text)."
        )
    counted = (
        "counted in results"
        if args.include_imported
        else (
            "not counted in results until the server includes imported replies "
            "(--include-imported, or /survey-admin settings)"
        )
    )
    print(f"Stored {len(ids)} imported responses for server {args.guild}; {counted}.")
    return EXIT_OK
