"""Security review F7: whatever ANAGEN_LOG_LEVEL says, the log never holds what members typed
(DM replies, form fields, command options) nor the interaction and webhook tokens that let
whoever reads the log post as the bot for 15 minutes.

The real bot runs against the double with the logging `anagen run` sets up
(`bot.cli.configure_logging`), writing into a buffer instead of stderr; the buffer is the log
an operator would keep or ship.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import configure_logging
from bot.logs import REDACTED, redact
from bot.settings import Settings, read_settings
from tests.conftest import BotStarter
from tests.double import DiscordDouble, User
from tests.survey_driver import CLICKS, click_through, start_survey, step_of

TYPED_IN_DM = "34 and I have had burning on my crown since finasteride"
FREE_TEXT = "Scalp feels like sandpaper after the minoxidil foam"
TYPED_OPTION = "grandmother's rosemary tonic"
SECRETS = ("burning on my crown since finasteride", "sandpaper after the minoxidil", "rosemary")


@pytest.fixture
def log_buffer() -> Iterator[tuple[io.StringIO, Callable[[Settings], logging.Handler]]]:
    """Configure logging as `anagen run` does, into a buffer; undo it afterwards."""
    root, library = logging.getLogger(), logging.getLogger("discord")
    levels = root.level, library.level
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)

    def configure(settings: Settings) -> logging.Handler:
        return configure_logging(settings, handler)

    yield buffer, configure
    root.removeHandler(handler)
    root.setLevel(levels[0])
    library.setLevel(levels[1])


async def take_survey_and_look_up(double: DiscordDouble, member: User) -> list[str]:
    """A slash command, a typed DM reply, clicks, a form's free text, another slash command
    with a typed option; returns every interaction token the double handed the bot."""
    first = await start_survey(double, member)
    assert step_of(first) == "age"
    count = len(double.dms(member))
    await double.dm(member, TYPED_IN_DM)
    await double.wait_for_dm(member, count + 1)
    summary, asked = await click_through(
        double, member, double.dms(member)[-1], {**CLICKS, "notes": ("form", FREE_TEXT)}
    )
    assert asked[-1] == "notes"
    assert "sandpaper" in summary.text  # the bot echoed the free text back to Discord
    await double.click(member, summary, "Done")
    await double.slash(member, "treatment lookup", name=TYPED_OPTION)
    await double.slash(member, "survey status")
    tokens = [interaction.token for interaction in double.interactions.values()]
    assert len(tokens) > 20
    return tokens


def assert_clean(text: str, tokens: list[str], *, member_text: bool = True) -> None:
    """No secret in the log; a failure shows the first line holding it, not the whole log."""

    def line_with(secret: str) -> str | None:
        return next((line[:400] for line in text.splitlines() if secret in line), None)

    if member_text:
        for secret in SECRETS:
            found = line_with(secret)
            assert found is None, f"the log holds what a member typed: {found}"
    for token in tokens:
        found = line_with(token[:24])  # the token, or enough of it to matter
        assert found is None, f"the log holds an interaction token: {found}"


async def test_debug_log_holds_no_member_text_and_no_tokens(
    double: DiscordDouble,
    start_bot: BotStarter,
    settings: Settings,
    member: User,
    log_buffer: tuple[io.StringIO, Callable[[Settings], logging.Handler]],
) -> None:
    buffer, configure = log_buffer
    configure(replace(settings, log_level="DEBUG"))
    logging.getLogger("bot.probe").debug("debug lines are kept")

    async with start_bot(settings):
        tokens = await take_survey_and_look_up(double, member)

    text = buffer.getvalue()
    assert "debug lines are kept" in text  # DEBUG was on
    assert "Synced" in text or "unchanged" in text  # Anagen's own INFO lines are kept
    assert_clean(text, [*tokens, settings.token or ""])


async def test_discord_debug_opt_in_still_hides_tokens(
    double: DiscordDouble,
    start_bot: BotStarter,
    settings: Settings,
    member: User,
    log_buffer: tuple[io.StringIO, Callable[[Settings], logging.Handler]],
) -> None:
    """ANAGEN_DISCORD_DEBUG=1 logs discord.py's protocol traffic, members' text included (the
    documented price); the tokens are still cut out of every line."""
    buffer, configure = log_buffer
    configure(replace(settings, log_level="DEBUG", discord_debug=True))

    async with start_bot(settings):
        tokens = await take_survey_and_look_up(double, member)

    text = buffer.getvalue()
    assert "WebSocket Event" in text  # the opt-in does turn on discord.py's debug output
    assert "/callback" in text
    assert REDACTED in text
    assert_clean(text, [*tokens, settings.token or ""], member_text=False)


def test_discord_debug_is_a_separate_setting(tmp_path: Path) -> None:
    base = {"ANAGEN_DATABASE": str(tmp_path / "a.db")}
    off, problems = read_settings(
        {**base, "ANAGEN_LOG_LEVEL": "DEBUG"}, env_file=None, require_token=False
    )
    assert not problems
    assert not off.discord_debug
    on, problems = read_settings(
        {**base, "ANAGEN_DISCORD_DEBUG": "1"}, env_file=None, require_token=False
    )
    assert not problems
    assert on.discord_debug
    _, problems = read_settings(
        {**base, "ANAGEN_DISCORD_DEBUG": "maybe"}, env_file=None, require_token=False
    )
    assert any("ANAGEN_DISCORD_DEBUG" in p for p in problems)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            "POST https://discord.com/api/v10/interactions/1579389250753789974/"
            "QuTigh-p4a8ksgjU-Rp6szEoxf_NlXpKe3gF7BzJ2Mr4Ito5hYwcw_wK6MTzuge7/callback with x",
            "/interactions/1579389250753789974/",
        ),
        (
            "PATCH /api/v10/webhooks/1000/aW50ZXJhY3Rpb246MTIzNDU2Nzg5OnNlY3JldA/messages/"
            "@original has returned 200",
            "/messages/@original",
        ),
        ("Webhook ID 1000 with GET /webhooks/1000/abc.DEF-ghi_9?wait=true", "?wait=true"),
        ("{'t': 'INTERACTION_CREATE', 'd': {'token': 'aW50ZXJhY3Rpb24', 'id': '5'}}", "'id'"),
        ('{"op": 2, "d": {"token": "MTAw.GaBc.abcdef", "intents": 1}}', '"intents"'),
    ],
)
def test_redact_cuts_tokens_out_of_urls_and_payloads(line: str, kept: str) -> None:
    cleaned = redact(line)
    assert REDACTED in cleaned
    assert kept in cleaned
    for secret in ("QuTigh", "aW50ZXJhY3Rpb2", "abc.DEF", "MTAw.GaBc"):
        assert secret not in cleaned


def test_a_token_in_a_traceback_is_redacted_too(
    log_buffer: tuple[io.StringIO, Callable[[Settings], logging.Handler]],
) -> None:
    buffer, configure = log_buffer
    configure(Settings(token=None, log_level="INFO"))
    try:
        raise ValueError("bad URL /webhooks/1000/sEcReTtOkEn123/messages/@original")
    except ValueError:
        logging.getLogger("anagen.test").exception("Failed at /interactions/5/sEcReTtOkEn456/x")
    text = buffer.getvalue()
    assert "sEcReTtOkEn" not in text
    assert "Failed at /interactions/5/[redacted]/x" in text
    assert "Traceback" in text
    assert "ValueError: bad URL /webhooks/1000/[redacted]/messages/@original" in text
