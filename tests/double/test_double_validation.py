"""Unit tests for the Discord double's request validation (tests/double/validation.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import handle_message_parameters
from discord.webhook.async_ import interaction_message_response_params

from tests.double.validation import (
    SPEC_ENV_VAR,
    RequestValidator,
    SpecNotFoundError,
    discord_error_body,
    get_validator,
)

CALLBACK = "/interactions/123/abc-token/callback"
MESSAGES = "/channels/5/messages"
COMMANDS = "/applications/1/commands"


@pytest.fixture(scope="module")
def validator() -> RequestValidator:
    return get_validator()


def _row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def _button(custom_id: str, label: str = "ok") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def _select(custom_id: str, n_options: int, **extra: Any) -> dict[str, Any]:
    options = [{"label": f"o{i}", "value": f"v{i}"} for i in range(n_options)]
    return {"type": 3, "custom_id": custom_id, "options": options, **extra}


def _command(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "does things", "type": 1, **extra}


def _mentions(problems: list[str], *needles: str) -> bool:
    return any(all(needle in problem for needle in needles) for problem in problems)


# ----------------------------------------------------------------- routing


def test_operation_id_matches_templated_paths(validator: RequestValidator) -> None:
    assert validator.operation_id("POST", MESSAGES) == "create_message"
    assert validator.operation_id("post", CALLBACK) == "create_interaction_response"
    assert validator.operation_id("PUT", COMMANDS) == "bulk_set_application_commands"
    assert (
        validator.operation_id("PUT", "/applications/1/guilds/2/commands")
        == "bulk_set_guild_application_commands"
    )


def test_literal_segments_beat_parameters(validator: RequestValidator) -> None:
    original = "/webhooks/1/tok/messages/@original"
    assert validator.operation_id("PATCH", original) == "update_original_webhook_message"
    assert validator.operation_id("PATCH", "/webhooks/1/tok/messages/9") == (
        "update_webhook_message"
    )
    permissions = "/applications/1/guilds/2/commands/permissions"
    assert validator.operation_id("GET", permissions) == (
        "list_guild_application_command_permissions"
    )


def test_query_string_and_api_prefix_are_ignored(validator: RequestValidator) -> None:
    # discord.py posts callbacks with ?with_response=true
    with_query = f"{CALLBACK}?with_response=true"
    assert validator.operation_id("POST", with_query) == "create_interaction_response"
    assert validator.operation_id("POST", f"/api/v10{MESSAGES}") == "create_message"


def test_unknown_route_is_reported(validator: RequestValidator) -> None:
    assert validator.operation_id("POST", "/foo") is None
    assert validator.validate("POST", "/foo", {}) == ["unknown route POST /foo"]
    assert validator.operation_id("DELETE", CALLBACK) is None  # method-aware


def test_missing_spec_raises_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SpecNotFoundError, match=r"nope\.json"):
        RequestValidator(missing)
    monkeypatch.setenv(SPEC_ENV_VAR, str(missing))
    with pytest.raises(SpecNotFoundError, match=SPEC_ENV_VAR):
        RequestValidator()


# ----------------------------------------------------------------- messages


def test_minimal_create_message_passes(validator: RequestValidator) -> None:
    assert validator.validate("POST", MESSAGES, {"content": "hello"}) == []


def test_content_over_2000_chars_fails(validator: RequestValidator) -> None:
    problems = validator.validate("POST", MESSAGES, {"content": "x" * 2001})
    assert _mentions(problems, "content", "2001", "2000")
    assert validator.validate("POST", MESSAGES, {"content": "x" * 2000}) == []


def test_26_select_options_fail(validator: RequestValidator) -> None:
    body = {"content": "pick", "components": [_row(_select("s", 26))]}
    problems = validator.validate("POST", MESSAGES, body)
    assert _mentions(problems, "components[0].components[0].options", "25")


def test_six_action_rows_fail(validator: RequestValidator) -> None:
    body = {"components": [_row(_button(f"b{i}")) for i in range(6)]}
    problems = validator.validate("POST", MESSAGES, body)
    assert _mentions(problems, "components", "6 action rows", "5")


def test_custom_id_over_100_chars_fails(validator: RequestValidator) -> None:
    body = {"components": [_row(_button("c" * 101))]}
    problems = validator.validate("POST", MESSAGES, body)
    assert _mentions(problems, "components[0].components[0].custom_id", "100")


def test_duplicate_custom_id_fails(validator: RequestValidator) -> None:
    body = {"components": [_row(_button("same")), _row(_button("same"))]}
    problems = validator.validate("POST", MESSAGES, body)
    assert _mentions(problems, "components[1].components[0].custom_id", "duplicate")


def test_row_shape_rules(validator: RequestValidator) -> None:
    six_buttons = {"components": [_row(*(_button(f"b{i}") for i in range(6)))]}
    assert validator.validate("POST", MESSAGES, six_buttons)
    select_and_button = {"components": [_row(_select("s", 2), _button("b"))]}
    assert _mentions(validator.validate("POST", MESSAGES, select_and_button), "select menu")


def test_select_value_bounds(validator: RequestValidator) -> None:
    body = {"components": [_row(_select("s", 3, min_values=1, max_values=4))]}
    problems = validator.validate("POST", MESSAGES, body)
    assert _mentions(problems, "max_values")


def test_link_and_regular_button_rules(validator: RequestValidator) -> None:
    link_with_id = {"type": 2, "style": 5, "label": "x", "url": "https://a.b", "custom_id": "c"}
    no_id = {"type": 2, "style": 1, "label": "x"}
    problems = validator.validate("POST", MESSAGES, {"components": [_row(link_with_id, no_id)]})
    assert _mentions(problems, "components[0].components[0].custom_id", "must not")
    assert _mentions(problems, "components[0].components[1].custom_id", "requires")


def test_embed_total_over_6000_fails(validator: RequestValidator) -> None:
    embeds = [{"title": "t" * 200, "description": "d" * 4000}, {"description": "d" * 2000}]
    problems = validator.validate("POST", MESSAGES, {"embeds": embeds})
    assert _mentions(problems, "embeds", "6200", "6000")


def test_embed_field_limits(validator: RequestValidator) -> None:
    fields = [{"name": "n", "value": "v" * 1025}]
    problems = validator.validate("POST", MESSAGES, {"embeds": [{"fields": fields}]})
    assert _mentions(problems, "embeds[0].fields[0].value", "1024")


# ----------------------------------------------------------------- interaction callbacks


def test_discordpy_ephemeral_send_message_payload_passes(validator: RequestValidator) -> None:
    # Exactly what discord.py 2.7 builds for interaction.response.send_message("hi",
    # ephemeral=True) (tts is always present), and the shape from the task description.
    flags = discord.MessageFlags(ephemeral=True)
    params = interaction_message_response_params(type=4, content="hi", flags=flags)
    assert params.payload == {"type": 4, "data": {"tts": False, "content": "hi", "flags": 64}}
    assert validator.validate("POST", f"{CALLBACK}?with_response=true", params.payload) == []
    hand_written = {
        "type": 4,
        "data": {
            "content": "hi",
            "flags": 64,
            "components": [],
            "embeds": [],
            "allowed_mentions": {"parse": []},
        },
    }
    assert validator.validate("POST", CALLBACK, hand_written) == []


def _discordpy_view() -> discord.ui.View:
    """A real discord.py view: link + regular button and a 3-option string select."""
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Go", custom_id="go", emoji="\N{WHITE HEAVY CHECK MARK}"))
    view.add_item(discord.ui.Button(label="Docs", url="https://example.com"))
    options = [
        discord.SelectOption(label=f"Option {i}", value=f"v{i}", description="d") for i in range(3)
    ]
    view.add_item(discord.ui.Select(custom_id="pick", placeholder="Pick", options=options))
    return view


async def _discordpy_view_payloads() -> dict[str, Any]:
    """Bodies discord.py builds around the view (Views need a running event loop)."""
    view = _discordpy_view()
    embed = discord.Embed(title="t", description="d", colour=0x123456)
    embed.add_field(name="a", value="b").set_footer(text="f").set_author(name="au")
    response = interaction_message_response_params(type=4, content="choose", view=view, embed=embed)
    channel = handle_message_parameters(
        content="choose",
        view=view,
        nonce=123,
        stickers=[1, 2],  # discord.py sends these snowflakes as ints
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(5)]),
        mention_author=True,
    )
    followup = handle_message_parameters(
        content="later", view=view, flags=discord.MessageFlags(ephemeral=True)
    )
    edit = handle_message_parameters(content=None, embeds=[], view=None, attachments=[])
    return {
        "components": view.to_components(),
        "response": response.payload,
        "channel": channel.payload,
        "followup": followup.payload,
        "edit": edit.payload,
    }


@pytest.fixture(scope="module")
def view_payloads() -> dict[str, Any]:
    return asyncio.run(_discordpy_view_payloads())


def test_discordpy_view_with_button_and_select_passes(
    validator: RequestValidator, view_payloads: dict[str, Any]
) -> None:
    rows = view_payloads["components"]
    assert [c["type"] for row in rows for c in row["components"]] == [2, 2, 3]
    assert validator.validate("POST", CALLBACK, view_payloads["response"]) == []
    assert validator.validate("POST", MESSAGES, view_payloads["channel"]) == []


def test_followup_and_edit_original_pass(
    validator: RequestValidator, view_payloads: dict[str, Any]
) -> None:
    followup = view_payloads["followup"]
    assert validator.validate("POST", "/webhooks/1/tok?wait=true", followup) == []
    original = "/webhooks/1/tok/messages/@original"
    assert validator.validate("PATCH", original, view_payloads["edit"]) == []


def test_unknown_callback_type_fails_via_schema(validator: RequestValidator) -> None:
    problems = validator.validate("POST", CALLBACK, {"type": 99})
    assert _mentions(problems, "type", "99")


def test_wrong_field_type_fails_via_schema(validator: RequestValidator) -> None:
    problems = validator.validate("POST", CALLBACK, {"type": 4, "data": {"content": 5}})
    assert problems == ["data.content: expected string or null, got integer"]


def test_autocomplete_with_26_choices_fails(validator: RequestValidator) -> None:
    choices = [{"name": f"c{i}", "value": f"v{i}"} for i in range(26)]
    problems = validator.validate("POST", CALLBACK, {"type": 8, "data": {"choices": choices}})
    assert _mentions(problems, "data.choices", "25")
    ok = {"type": 8, "data": {"choices": choices[:25]}}
    assert validator.validate("POST", CALLBACK, ok) == []


def test_autocomplete_choice_value_over_100_fails(validator: RequestValidator) -> None:
    body = {"type": 8, "data": {"choices": [{"name": "n", "value": "v" * 101}]}}
    assert _mentions(validator.validate("POST", CALLBACK, body), "data.choices[0].value", "100")


def _modal(title: str = "Feedback", rows: int = 1, label: str = "Name") -> dict[str, Any]:
    text_input = {"type": 4, "custom_id": "name", "style": 1, "label": label}
    components = [_row({**text_input, "custom_id": f"name{i}"}) for i in range(rows)]
    return {"type": 9, "data": {"custom_id": "m", "title": title, "components": components}}


def test_modal_limits(validator: RequestValidator) -> None:
    assert validator.validate("POST", CALLBACK, _modal()) == []
    assert _mentions(validator.validate("POST", CALLBACK, _modal(title="t" * 46)), "title", "45")
    assert _mentions(validator.validate("POST", CALLBACK, _modal(rows=6)), "6 components")
    assert _mentions(validator.validate("POST", CALLBACK, _modal(label="l" * 46)), "label")


def test_discordpy_modal_passes(validator: RequestValidator) -> None:
    modal = discord.ui.Modal(title="Feedback", custom_id="fb")
    modal.add_item(discord.ui.TextInput(label="Name", custom_id="n", max_length=100))
    modal.add_item(
        discord.ui.TextInput(label="Body", style=discord.TextStyle.paragraph, required=False)
    )
    body = {"type": 9, "data": modal.to_dict()}
    assert validator.validate("POST", CALLBACK, body) == []


# ----------------------------------------------------------------- application commands


def test_bulk_overwrite_with_uppercase_name_fails(validator: RequestValidator) -> None:
    problems = validator.validate("PUT", COMMANDS, [_command("Ping")])
    assert _mentions(problems, "[0].name", "lowercase")
    assert validator.validate("PUT", COMMANDS, [_command("ping")]) == []


def test_command_name_and_option_rules(validator: RequestValidator) -> None:
    option = {"type": 3, "name": "bad name", "description": "d"}
    problems = validator.validate("PUT", COMMANDS, [_command("ok", options=[option])])
    assert _mentions(problems, "[0].options[0].name", "does not match")
    # Context-menu commands may use spaces and capitals.
    assert validator.validate("PUT", COMMANDS, [{"name": "Report Message", "type": 3}]) == []
    # Non-Latin lowercase-less scripts are allowed.
    assert validator.validate("PUT", COMMANDS, [_command("नमस्ते")]) == []


def test_too_many_chat_input_commands_fail(validator: RequestValidator) -> None:
    commands = [_command(f"c{i}") for i in range(101)]
    assert _mentions(validator.validate("PUT", COMMANDS, commands), "101", "100")


def test_discordpy_command_tree_payload_passes(validator: RequestValidator) -> None:
    async def build() -> list[dict[str, Any]]:
        client = discord.Client(intents=discord.Intents.none())
        tree = app_commands.CommandTree(client)

        @tree.command(name="ping", description="Ping")
        @app_commands.describe(who="someone")
        @app_commands.choices(mode=[app_commands.Choice(name="Fast", value="fast")])
        @app_commands.default_permissions(manage_guild=True)
        async def ping(
            interaction: discord.Interaction,
            who: discord.Member,
            mode: app_commands.Choice[str],
            n: app_commands.Range[int, 1, 10] = 1,
        ) -> None: ...

        @tree.context_menu(name="User Info")
        async def info(interaction: discord.Interaction, user: discord.User) -> None: ...

        payload = [command.to_dict(tree) for command in tree.get_commands()]
        await client.close()
        return payload

    assert validator.validate("PUT", COMMANDS, asyncio.run(build())) == []


def test_permission_strings_are_accepted(validator: RequestValidator) -> None:
    # The spec types default_member_permissions as integer; Discord documents a string.
    assert validator.validate("POST", COMMANDS, _command("x", default_member_permissions="8")) == []


# ----------------------------------------------------------------- error body


def test_discord_error_body_shape(validator: RequestValidator) -> None:
    problems = validator.validate("POST", MESSAGES, {"content": "x" * 2001})
    body = discord_error_body(problems)
    assert body["code"] == 50035
    assert body["message"] == "Invalid Form Body"
    errors = body["errors"]["content"]["_errors"]
    assert errors[0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert "2000" in errors[0]["message"]
    json.dumps(body)


def test_discord_error_body_nests_indices_and_root() -> None:
    body = discord_error_body(
        ["data.components[0].custom_id: too long, at most 100", "unknown route POST /x"]
    )
    nested = body["errors"]["data"]["components"]["0"]["custom_id"]["_errors"]
    assert nested[0]["message"] == "too long, at most 100"
    assert body["errors"]["_errors"][0]["message"] == "unknown route POST /x"


def test_validation_results_are_stable_across_cache(validator: RequestValidator) -> None:
    body = {"content": "x" * 2001}
    first = validator.validate("POST", MESSAGES, body)
    first.append("mutated by caller")
    assert validator.validate("POST", MESSAGES, body) == first[:-1]
