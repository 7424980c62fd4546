"""Request-body validation for the Discord double.

Real Discord answers malformed bodies with ``400 Invalid Form Body``; the double must do
the same so tests catch payloads Discord would reject, and must never reject a payload
Discord accepts.  Bodies are checked against Discord's official OpenAPI description
(v10, OpenAPI 3.1 => JSON Schema 2020-12) plus the documented limits the spec omits.

Spec quirks handled explicitly (see ``_patch_spec``):

* every ``oneOf`` is relaxed to ``anyOf``: branches like ``[null, Snowflake]`` or the
  ``x-discord-union`` unions can overlap and Discord never rejects a body for matching
  "too many" shapes;
* ``SnowflakeType`` is a digit string in the spec, but Discord (and discord.py, e.g.
  ``allowed_mentions.users``) also sends integer ids;
* permission bitfields (``default_member_permissions``, role ``permissions``, overwrite
  ``allow``/``deny``) are integers in the spec, but Discord documents and discord.py
  sends them as digit strings.

Two behaviour-preserving rewrites keep jsonschema fast (it costs ~15 us per subschema):
named-constant unions become ``enum`` and tagged component/callback unions dispatch on
their ``type`` via if/then instead of trying every branch.  Results are also memoised
per (route, canonical body).

Multipart bodies: the caller passes the parsed ``payload_json``.  The spec's multipart
schema is ``allOf[<json schema>, {files[n]: binary}]`` with optional file parts, so the
JSON schema is used whenever an operation has one.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_ENV_VAR = "ANAGEN_DISCORD_SPEC"
# Vendored with its licence; tests/double/discord-api-spec/SOURCE.md names the upstream commit.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "discord-api-spec" / "openapi.json"

_SPEC_URI = "urn:anagen:discord-openapi"
_BODY_CONTENT_TYPES = ("application/json", "multipart/form-data")
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
_API_PREFIX = re.compile(r"^/api(?:/v\d+)?(?=/)")
_CONST_KEYS = frozenset({"const", "title", "description"})
_UNION_KEYS = frozenset({"anyOf", "x-discord-union", "title", "description"})
_PERMISSION_FIELDS = frozenset({"default_member_permissions", "permissions", "allow", "deny"})

PathKey = str | int
JsonPath = tuple[PathKey, ...]
Problem = tuple[JsonPath, str]


class SpecNotFoundError(FileNotFoundError):
    """The OpenAPI file is missing; the double cannot validate without it."""


# --------------------------------------------------------------------------- spec loading


def resolve_spec_path(spec_path: Path | None = None) -> Path:
    """Pick the spec file: explicit argument, then $ANAGEN_DISCORD_SPEC, then the vendored copy."""
    if spec_path is None:
        env = os.environ.get(SPEC_ENV_VAR)
        spec_path = Path(env) if env else DEFAULT_SPEC_PATH
    if not spec_path.is_file():
        raise SpecNotFoundError(
            f"Discord OpenAPI spec not found at {spec_path}. Put discord-api-spec's "
            f"openapi.json there or point ${SPEC_ENV_VAR} at it."
        )
    return spec_path


def _walk_schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every dict in the spec, so patches need not know where schemas live."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _allow_digit_string(schema: dict[str, Any]) -> None:
    """Let an integer-typed schema also accept a string of digits."""
    types = schema.get("type")
    if isinstance(types, list) and "integer" in types and "string" not in types:
        schema["type"] = [*types, "string"]
        schema.setdefault("pattern", "^[0-9]+$")
    elif types == "integer":
        schema["type"] = ["integer", "string"]
        schema.setdefault("pattern", "^[0-9]+$")


def _patch_spec(spec: dict[str, Any]) -> None:
    """Relax spec details that would reject bodies real Discord accepts (module docstring)."""
    schemas = spec.get("components", {}).get("schemas", {})
    for node in _walk_schemas(spec):
        if isinstance(node.get("oneOf"), list) and "anyOf" not in node:
            node["anyOf"] = node.pop("oneOf")
        props = node.get("properties")
        if isinstance(props, dict):
            for name in _PERMISSION_FIELDS & props.keys():
                if isinstance(props[name], dict):
                    _allow_digit_string(props[name])
    for node in _walk_schemas(spec):
        _consts_to_enum(node)
        _dispatch_on_type(node, schemas)
    snowflake = schemas.get("SnowflakeType")
    if isinstance(snowflake, dict):
        snowflake["type"] = ["string", "integer"]
        snowflake["minimum"] = 0


def _consts_to_enum(node: dict[str, Any]) -> None:
    """``anyOf: [{const: 1, title: ...}, ...]`` (named enums) -> ``enum``: same, far cheaper."""
    branches = node.get("anyOf")
    if (
        isinstance(branches, list)
        and branches
        and "enum" not in node
        and all(isinstance(b, dict) and "const" in b and b.keys() <= _CONST_KEYS for b in branches)
    ):
        node["enum"] = [branch["const"] for branch in node.pop("anyOf")]


def _discriminator(branch: Any, schemas: dict[str, Any]) -> list[Any] | None:
    """``type`` values a ``{"$ref": component}`` branch requires, or None if not tagged."""
    if not isinstance(branch, dict) or set(branch) != {"$ref"}:
        return None
    ref = branch["$ref"]
    prefix = "#/components/schemas/"
    target = schemas.get(ref[len(prefix) :]) if ref.startswith(prefix) else None
    if not isinstance(target, dict) or "type" not in target.get("required", ()):
        return None
    tag = target.get("properties", {}).get("type", {})
    values = tag.get("enum") or ([tag["const"]] if "const" in tag else None)
    return list(values) if isinstance(values, list) else None


def _dispatch_on_type(node: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Turn an ``anyOf`` of tagged unions into if/then dispatch on ``type``.

    Equivalent when the tags are disjoint, but jsonschema then validates one branch instead
    of trying each (components/callback unions made a body cost ~7 ms), and errors come
    from the branch the body named.
    """
    branches = node.get("anyOf")
    if not isinstance(branches, list) or not node.keys() <= _UNION_KEYS:
        return  # siblings would be overwritten below; none exist in the current spec
    tags = [_discriminator(branch, schemas) for branch in branches]
    flat = [value for values in tags if values is not None for value in values]
    if any(values is None for values in tags) or len(flat) != len(set(flat)):
        return
    del node["anyOf"]
    node["type"] = "object"
    node["required"] = ["type"]
    node["properties"] = {"type": {"enum": flat}}
    node["allOf"] = [
        {
            "if": {"properties": {"type": {"enum": values}}, "required": ["type"]},
            "then": branch,
        }
        for branch, values in zip(branches, tags, strict=True)
    ]


@dataclass(frozen=True)
class _Route:
    """One (method, templated path) pair of the spec."""

    method: str
    template: str
    segments: tuple[str, ...]
    operation_id: str
    schema_pointer: str | None
    body_required: bool

    def matches(self, parts: Sequence[str]) -> bool:
        return all(
            seg == part or (seg.startswith("{") and bool(part))
            for seg, part in zip(self.segments, parts, strict=True)
        )

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Literal segments beat parameters (``messages/@original`` over ``{message_id}``)."""
        return tuple(not seg.startswith("{") for seg in self.segments)


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _body_schema_pointer(template: str, method: str, operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    for content_type in _BODY_CONTENT_TYPES:
        if content_type in content and "schema" in content[content_type]:
            return "/" + "/".join(
                _escape_pointer(token)
                for token in (
                    "paths",
                    template,
                    method,
                    "requestBody",
                    "content",
                    content_type,
                    "schema",
                )
            )
    return None


def _index_routes(spec: dict[str, Any]) -> dict[tuple[str, int], list[_Route]]:
    """Group routes by (method, segment count), most specific first."""
    index: dict[tuple[str, int], list[_Route]] = {}
    for template, item in spec.get("paths", {}).items():
        segments = tuple(template.strip("/").split("/"))
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            route = _Route(
                method=method.upper(),
                template=template,
                segments=segments,
                operation_id=operation.get("operationId", f"{method} {template}"),
                schema_pointer=_body_schema_pointer(template, method, operation),
                body_required=bool(operation.get("requestBody", {}).get("required")),
            )
            index.setdefault((route.method, len(segments)), []).append(route)
    for routes in index.values():
        routes.sort(key=lambda r: r.specificity, reverse=True)
    return index


def _split_path(path: str) -> tuple[str, ...]:
    """Concrete request path -> segments, tolerating a query string and /api/v10 prefix."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    path = _API_PREFIX.sub("", path)
    return tuple(path.strip("/").split("/"))


# --------------------------------------------------------------------------- validator


class RequestValidator:
    """Validates request bodies the bot sends to the double (and, on request, the double's
    responses); cheap to reuse."""

    def __init__(self, spec_path: Path | None = None) -> None:
        path = resolve_spec_path(spec_path)
        spec = json.loads(path.read_text(encoding="utf-8"))
        if not str(spec.get("openapi", "")).startswith("3.1"):
            raise ValueError(f"{path}: expected an OpenAPI 3.1 document (JSON Schema 2020-12)")
        _patch_spec(spec)
        self.spec_path = path
        self._spec = spec
        self._routes = _index_routes(spec)
        self._registry: Registry = Registry().with_resource(
            _SPEC_URI, DRAFT202012.create_resource(spec)
        )
        self._validators: dict[str, Draft202012Validator] = {}
        # Test suites resend identical bodies a lot; a body costs 1-6 ms in jsonschema.
        self._cached_problems = functools.lru_cache(maxsize=4096)(self._problems_for_json)

    def operation_id(self, method: str, path: str) -> str | None:
        route = self._match(method, path)
        return route.operation_id if route else None

    def validate(self, method: str, path: str, body: Any) -> list[str]:
        """Return human-readable problems (empty list = valid).

        method e.g. "POST"; path is the API path after /api/v10, e.g.
        "/interactions/123/abc-token/callback" or "/channels/5/messages".
        body is the parsed JSON body (dict/list) or None.
        """
        route = self._match(method, path)
        if route is None:
            return [f"unknown route {method.upper()} {path}"]
        try:
            body_json = json.dumps(body, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return list(self._problems(route, body))
        return list(self._cached_problems(route, body_json))

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with a response the double gives (empty list = what the spec describes).

        The schema is the operation's entry for `status`, else its "4XX"/"5XX" range entry,
        else "default"; a status the operation does not describe is a problem itself."""
        route = self._match(method, path)
        if route is None:
            return [f"unknown route {method.upper()} {path}"]
        pointer = self._response_schema_pointer(route, status)
        if pointer is None:
            return [f"{route.operation_id} describes no {status} response"]
        if pointer == "":
            return [] if body is None else [f"{route.operation_id} {status} has no body"]
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry
            )
            self._validators[pointer] = validator
        return [
            format_problem(problem)
            for error in validator.iter_errors(body)
            for problem in _explain(error)
        ]

    def _response_schema_pointer(self, route: _Route, status: int) -> str | None:
        """JSON pointer to the response body's schema; "" for a bodiless response."""
        responses = self._spec["paths"][route.template][route.method.lower()].get("responses", {})
        for key in (str(status), f"{status // 100}XX", "default"):
            if key not in responses:
                continue
            base = ("paths", route.template, route.method.lower(), "responses", key)
            entry = responses[key]
            pointer = "/" + "/".join(_escape_pointer(token) for token in base)
            ref = entry.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                pointer, entry = ref[1:], self._resolve(ref[1:])
            if "application/json" not in entry.get("content", {}):
                return ""
            return pointer + "/content/application~1json/schema"
        return None

    def _resolve(self, pointer: str) -> dict[str, Any]:
        node: Any = self._spec
        for token in pointer.strip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return dict(node)

    def _problems_for_json(self, route: _Route, body_json: str) -> tuple[str, ...]:
        return self._problems(route, json.loads(body_json))

    def _problems(self, route: _Route, body: Any) -> tuple[str, ...]:
        problems = self._schema_problems(route, body)
        problems.extend(limit_problems(route.operation_id, body))
        return tuple(format_problem(p) for p in _dedupe(problems))

    def _match(self, method: str, path: str) -> _Route | None:
        parts = _split_path(path)
        for route in self._routes.get((method.upper(), len(parts)), ()):
            if route.matches(parts):
                return route
        return None

    def _compiled(self, route: _Route) -> Draft202012Validator | None:
        """Build each operation's validator once; refs resolve against the whole spec."""
        if route.schema_pointer is None:
            return None
        key = f"{route.method} {route.template}"
        validator = self._validators.get(key)
        if validator is None:
            schema = {"$ref": f"{_SPEC_URI}#{route.schema_pointer}"}
            validator = Draft202012Validator(schema, registry=self._registry)
            self._validators[key] = validator
        return validator

    def _schema_problems(self, route: _Route, body: Any) -> list[Problem]:
        validator = self._compiled(route)
        if validator is None:
            return []  # Discord ignores bodies on routes that take none.
        errors = list(validator.iter_errors(body))
        if errors and body is None:
            if not route.body_required:
                return []
            # A bodiless request reads as an empty form on Discord's side.
            errors = list(validator.iter_errors({}))
        return [problem for error in errors for problem in _explain(error)]


@functools.cache
def get_validator() -> RequestValidator:
    """Process-wide validator; loading and indexing the 1.2 MB spec happens once."""
    return RequestValidator()


# --------------------------------------------------------------------------- schema errors

_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (type(None), "null"),
    ((list, tuple), "array"),
    (Mapping, "object"),
)


def _json_type(value: Any) -> str:
    for py_type, name in _JSON_TYPES:
        if isinstance(value, py_type):
            return name
    return type(value).__name__


def _relative(error: ValidationError, parent: ValidationError) -> list[PathKey]:
    return list(error.absolute_path)[len(parent.absolute_path) :]


def _branches(error: ValidationError) -> dict[int, list[ValidationError]]:
    grouped: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        grouped.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    return grouped


def _shape_mismatch(sub: ValidationError, parent: ValidationError) -> bool:
    """The branch is for another JSON type, or another ``type`` discriminator value."""
    rel = _relative(sub, parent)
    return (not rel and sub.validator == "type") or rel == ["type"]


def _explain(error: ValidationError) -> list[Problem]:
    """Flatten anyOf failures into the errors of the branch the body was aiming for."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [_leaf_problem(error)]
    branches = list(_branches(error).values())
    plausible = [b for b in branches if not any(_shape_mismatch(s, error) for s in b)]
    if not plausible:
        return [_no_branch_problem(error, branches)]
    best = min(plausible, key=len)
    return [problem for sub in best for problem in _explain(sub)]


def _no_branch_problem(error: ValidationError, branches: list[list[ValidationError]]) -> Problem:
    path = tuple(error.absolute_path)
    instance = error.instance
    root_types = [s.validator_value for b in branches for s in b if not _relative(s, error)]
    if isinstance(instance, Mapping) and "type" in instance:
        return (*path, "type"), f"{_short(instance['type'])} is not a valid type here"
    if root_types and all(s.validator == "type" for b in branches for s in b):
        allowed = sorted({t for v in root_types for t in (v if isinstance(v, list) else [v])})
        return path, f"expected {' or '.join(allowed)}, got {_json_type(instance)}"
    return path, "does not match any allowed shape"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _leaf_problem(error: ValidationError) -> Problem:
    """Concise, Discord-like wording; jsonschema's default repr can be megabytes."""
    path = tuple(error.absolute_path)
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        match = re.match(r"^'(.+)' is a required property$", error.message)
        return ((*path, match.group(1)) if match else path), "this field is required"
    if kind == "maxLength":
        return path, f"{len(value)} characters, Discord allows at most {limit}"
    if kind == "minLength":
        return path, f"{len(value)} characters, Discord requires at least {limit}"
    if kind == "maxItems":
        return path, f"{len(value)} items, Discord allows at most {limit}"
    if kind == "minItems":
        return path, f"{len(value)} items, Discord requires at least {limit}"
    if kind == "type":
        expected = " or ".join(limit) if isinstance(limit, list) else limit
        return path, f"expected {expected}, got {_json_type(value)}"
    if kind in ("enum", "const"):
        return path, f"{_short(value)} is not one of {_short(limit)}"
    message = error.message
    return path, message if len(message) <= 200 else message[:197] + "..."


# --------------------------------------------------------------------------- Discord limits

_MESSAGE_OPERATIONS = frozenset(
    {
        "create_message",
        "update_message",
        "execute_webhook",
        "update_webhook_message",
        "update_original_webhook_message",
    }
)
_COMMAND_LIST_OPERATIONS = frozenset(
    {"bulk_set_application_commands", "bulk_set_guild_application_commands"}
)
_COMMAND_CREATE_OPERATIONS = frozenset(
    {"create_application_command", "create_guild_application_command"}
)
_COMMAND_PATCH_OPERATIONS = frozenset(
    {"update_application_command", "update_guild_application_command"}
)

_COMPONENTS_V2_FLAG = 1 << 15
_ACTION_ROW, _BUTTON, _STRING_SELECT, _TEXT_INPUT, _LABEL = 1, 2, 3, 4, 18
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_LINK_STYLE, _PREMIUM_STYLE = 5, 6
_CHAT_INPUT = 1
_COMMAND_TYPE_LIMITS = {1: ("chat input", 100), 2: ("user", 15), 3: ("message", 15)}
_SUBCOMMAND_TYPES = frozenset({1, 2})
# Discord: ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ ; \w covers letters/digits
# (plus "_"), the explicit ranges add Devanagari/Thai combining marks \w misses.
_COMMAND_NAME = re.compile(r"[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}")
_COMMAND_NAME_TEXT = r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$"
_EMBED_TEXT_LIMITS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("title",), 256),
    (("description",), 4096),
    (("footer", "text"), 2048),
    (("author", "name"), 256),
)


def limit_problems(operation_id: str, body: Any) -> list[Problem]:
    """Discord-enforced limits the OpenAPI schema does not (fully) express."""
    if operation_id in _MESSAGE_OPERATIONS and isinstance(body, dict):
        return list(_message_problems(body, ()))
    if operation_id == "create_thread" and isinstance(body, dict):
        message = body.get("message")  # forum/media posts carry their first message
        return list(_message_problems(message, ("message",))) if isinstance(message, dict) else []
    if operation_id == "create_interaction_response" and isinstance(body, dict):
        return list(_callback_problems(body))
    if operation_id in _COMMAND_LIST_OPERATIONS and isinstance(body, list):
        return list(_command_list_problems(body))
    if operation_id in _COMMAND_CREATE_OPERATIONS and isinstance(body, dict):
        return list(_command_problems(body, (), partial=False))
    if operation_id in _COMMAND_PATCH_OPERATIONS and isinstance(body, dict):
        return list(_command_problems(body, (), partial=True))
    return []


def _too_long(
    value: Any, limit: int, path: JsonPath, what: str = "characters"
) -> Iterator[Problem]:
    if isinstance(value, str | list) and len(value) > limit:
        yield path, f"{len(value)} {what}, Discord allows at most {limit}"


def _length_between(value: Any, low: int, high: int, path: JsonPath) -> Iterator[Problem]:
    if isinstance(value, str) and not low <= len(value) <= high:
        yield path, f"{len(value)} characters, Discord requires {low} to {high}"


def _dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        yield from ((i, item) for i, item in enumerate(value) if isinstance(item, dict))


# ----- messages


def _message_problems(message: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    yield from _too_long(message.get("content"), 2000, (*path, "content"))
    yield from _embeds_problems(message.get("embeds"), (*path, "embeds"))
    components = message.get("components")
    if isinstance(components, list):
        flags = message.get("flags")
        if not (isinstance(flags, int) and flags & _COMPONENTS_V2_FLAG):
            # Legacy messages may only hold action rows, at most 5 of them.
            yield from _too_long(components, 5, (*path, "components"), "action rows")
        yield from _component_tree_problems(components, (*path, "components"))


def _embeds_problems(embeds: Any, path: JsonPath) -> Iterator[Problem]:
    if not isinstance(embeds, list):
        return
    yield from _too_long(embeds, 10, path, "embeds")
    total = 0
    for i, embed in _dicts(embeds):
        for keys, limit in _EMBED_TEXT_LIMITS:
            text = _dig(embed, keys)
            if isinstance(text, str):
                total += len(text)
                yield from _too_long(text, limit, (*path, i, *keys))
        fields = embed.get("fields")
        yield from _too_long(fields, 25, (*path, i, "fields"), "fields")
        for j, field in _dicts(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                text = field.get(key)
                if isinstance(text, str):
                    total += len(text)
                    yield from _too_long(text, limit, (*path, i, "fields", j, key))
    if total > 6000:
        yield path, f"{total} characters across all embeds, Discord allows at most 6000"


def _dig(node: dict[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = node
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# ----- components (messages and modals)


def _component_tree_problems(components: list[Any], path: JsonPath) -> Iterator[Problem]:
    """Check every component, nested or not; custom_ids must be unique per message."""
    seen: dict[str, JsonPath] = {}
    stack = [((*path, i), c) for i, c in _dicts(components)]
    while stack:
        where, component = stack.pop(0)
        yield from _component_problems(component, where)
        yield from _custom_id_problems(component, where, seen)
        stack.extend(_children(component, where))


def _children(component: dict[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    """Nested components: rows/containers, a section's accessory, a label's component."""
    yield from (((*path, "components", i), c) for i, c in _dicts(component.get("components")))
    for key in ("accessory", "component"):
        if isinstance(component.get(key), dict):
            yield (*path, key), component[key]


def _custom_id_problems(
    component: dict[str, Any], path: JsonPath, seen: dict[str, JsonPath]
) -> Iterator[Problem]:
    custom_id = component.get("custom_id")
    if not isinstance(custom_id, str):
        return
    yield from _too_long(custom_id, 100, (*path, "custom_id"))
    if custom_id in seen:
        first = format_path(seen[custom_id])
        yield (*path, "custom_id"), f"duplicate custom_id {custom_id!r} (also used at {first})"
    else:
        seen[custom_id] = path


def _component_problems(component: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    kind = component.get("type")
    if kind == _ACTION_ROW:
        yield from _action_row_problems(component, path)
    elif kind == _BUTTON:
        yield from _button_problems(component, path)
    elif kind in _SELECT_TYPES:
        yield from _select_problems(component, path)
    elif kind == _TEXT_INPUT:
        yield from _text_input_problems(component, path)
    elif kind == _LABEL:
        yield from _too_long(component.get("label"), 45, (*path, "label"))


def _action_row_problems(row: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    children = [c for _, c in _dicts(row.get("components"))]
    where = (*path, "components")
    if any(c.get("type") in _SELECT_TYPES for c in children) and len(children) != 1:
        yield where, f"{len(children)} components in a row with a select menu, Discord requires 1"
    elif any(c.get("type") == _TEXT_INPUT for c in children) and len(children) != 1:
        yield where, f"{len(children)} components in a row with a text input, Discord requires 1"
    elif len(children) > 5:
        yield where, f"{len(children)} buttons, Discord allows at most 5"


def _button_problems(button: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    yield from _too_long(button.get("label"), 80, (*path, "label"))
    style = button.get("style")
    has = {key: button.get(key) is not None for key in ("custom_id", "url", "sku_id")}
    if style == _LINK_STYLE:
        wanted, forbidden = "url", ("custom_id", "sku_id")
    elif style == _PREMIUM_STYLE:
        wanted, forbidden = "sku_id", ("custom_id", "url")
    else:
        wanted, forbidden = "custom_id", ("url", "sku_id")
    if not has[wanted]:
        yield (*path, wanted), f"button style {style} requires {wanted}"
    for key in forbidden:
        if has[key]:
            yield (*path, key), f"button style {style} must not have {key}"


def _select_problems(select: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    yield from _too_long(select.get("placeholder"), 150, (*path, "placeholder"))
    options = select.get("options")
    if select.get("type") == _STRING_SELECT and isinstance(options, list):
        yield from _too_long(options, 25, (*path, "options"), "select options")
        if not options:
            yield (*path, "options"), "0 select options, Discord requires at least 1"
        for i, option in _dicts(options):
            for key in ("label", "value", "description"):
                yield from _too_long(option.get(key), 100, (*path, "options", i, key))
    yield from _select_value_bounds(select, path, options)


def _select_value_bounds(select: dict[str, Any], path: JsonPath, options: Any) -> Iterator[Problem]:
    low, high = select.get("min_values"), select.get("max_values")
    ceiling = 25
    if select.get("type") == _STRING_SELECT and isinstance(options, list):
        ceiling = min(ceiling, len(options))
    for key, value, floor in (("min_values", low, 0), ("max_values", high, 1)):
        if isinstance(value, int) and not floor <= value <= ceiling:
            yield (*path, key), f"{value} is outside {floor}..{ceiling} (25 or the option count)"
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield (*path, "min_values"), f"min_values {low} is greater than max_values {high}"


def _text_input_problems(text_input: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    yield from _too_long(text_input.get("label"), 45, (*path, "label"))
    yield from _too_long(text_input.get("value"), 4000, (*path, "value"))
    yield from _too_long(text_input.get("placeholder"), 100, (*path, "placeholder"))
    for key, floor in (("min_length", 0), ("max_length", 1)):
        value = text_input.get(key)
        if isinstance(value, int) and not floor <= value <= 4000:
            yield (*path, key), f"{value} is outside {floor}..4000"


# ----- interaction callbacks


def _callback_problems(body: dict[str, Any]) -> Iterator[Problem]:
    kind, data = body.get("type"), body.get("data")
    if not isinstance(data, dict):
        return
    if kind in (4, 7):
        yield from _message_problems(data, ("data",))
    elif kind == 8:
        yield from _autocomplete_problems(data.get("choices"), ("data", "choices"))
    elif kind == 9:
        yield from _modal_problems(data, ("data",))


def _autocomplete_problems(choices: Any, path: JsonPath) -> Iterator[Problem]:
    if not isinstance(choices, list):
        return
    yield from _too_long(choices, 25, path, "choices")
    yield from _choice_problems(choices, path)


def _choice_problems(choices: list[Any], path: JsonPath) -> Iterator[Problem]:
    for i, choice in _dicts(choices):
        yield from _length_between(choice.get("name"), 1, 100, (*path, i, "name"))
        yield from _too_long(choice.get("value"), 100, (*path, i, "value"))


def _modal_problems(modal: dict[str, Any], path: JsonPath) -> Iterator[Problem]:
    yield from _too_long(modal.get("title"), 45, (*path, "title"))
    yield from _too_long(modal.get("custom_id"), 100, (*path, "custom_id"))
    components = modal.get("components")
    if isinstance(components, list):
        where = (*path, "components")
        if not 1 <= len(components) <= 5:
            yield where, f"{len(components)} components, Discord requires 1 to 5"
        yield from _component_tree_problems(components, where)


# ----- application commands


def _command_list_problems(commands: list[Any]) -> Iterator[Problem]:
    counts: dict[int, int] = {}
    names: dict[tuple[int, str], int] = {}
    for i, command in _dicts(commands):
        kind = command.get("type") or _CHAT_INPUT
        counts[kind] = counts.get(kind, 0) + 1
        name = command.get("name")
        if isinstance(name, str):
            if (kind, name) in names:
                yield (
                    (i, "name"),
                    f"duplicate command name {name!r} (also at [{names[kind, name]}])",
                )
            names.setdefault((kind, name), i)
        yield from _command_problems(command, (i,), partial=False)
    for kind, (label, limit) in _COMMAND_TYPE_LIMITS.items():
        if counts.get(kind, 0) > limit:
            yield (), f"{counts[kind]} {label} commands, Discord allows at most {limit}"


def _command_problems(
    command: dict[str, Any], path: JsonPath, *, partial: bool
) -> Iterator[Problem]:
    """Names/descriptions/options; ``partial`` (PATCH) skips fields that are absent."""
    kind = command.get("type") or _CHAT_INPUT
    if kind != _CHAT_INPUT:
        return  # user/message commands: free-form 1..32 names, schema covers it
    yield from _name_problems(command.get("name"), (*path, "name"))
    if not partial or "description" in command:
        yield from _description_problems(command.get("description"), (*path, "description"))
    yield from _options_problems(command.get("options"), (*path, "options"))


def _name_problems(name: Any, path: JsonPath) -> Iterator[Problem]:
    if not isinstance(name, str):
        return
    if not _COMMAND_NAME.fullmatch(name):
        yield path, f"{name!r} does not match {_COMMAND_NAME_TEXT}"
    elif name != name.lower():
        yield path, f"{name!r} must be lowercase"


def _description_problems(description: Any, path: JsonPath) -> Iterator[Problem]:
    if description is None:
        yield path, "chat input commands and options require a description (1 to 100 characters)"
    else:
        yield from _length_between(description, 1, 100, path)


def _options_problems(options: Any, path: JsonPath) -> Iterator[Problem]:
    if not isinstance(options, list):
        return
    yield from _too_long(options, 25, path, "options")
    for i, option in _dicts(options):
        where = (*path, i)
        yield from _name_problems(option.get("name"), (*where, "name"))
        yield from _description_problems(option.get("description"), (*where, "description"))
        choices = option.get("choices")
        if isinstance(choices, list):
            yield from _too_long(choices, 25, (*where, "choices"), "choices")
            yield from _choice_problems(choices, (*where, "choices"))
        if option.get("type") in _SUBCOMMAND_TYPES:
            yield from _options_problems(option.get("options"), (*where, "options"))


# --------------------------------------------------------------------------- formatting

_PATH_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")
_PROBLEM = re.compile(r"^(\(body\)|\[\d+\][^\s:]*|[^\s\[\].:][^\s:]*): (.*)$", re.DOTALL)


def format_path(path: JsonPath) -> str:
    """("data", "components", 0, "options") -> "data.components[0].options"."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text or "(body)"


def format_problem(problem: Problem) -> str:
    path, message = problem
    return f"{format_path(path)}: {message}"


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _parse_problem(problem: str) -> tuple[list[str], str]:
    """Inverse of ``format_problem``; unparseable text becomes a root-level error."""
    match = _PROBLEM.match(problem)
    if not match or match.group(1) == "(body)":
        return [], match.group(2) if match else problem
    keys = [index or key for index, key in _PATH_TOKEN.findall(match.group(1))]
    return keys, match.group(2)


def _error_code(message: str) -> str:
    if "at most" in message:
        return "BASE_TYPE_MAX_LENGTH"
    if "at least" in message:
        return "BASE_TYPE_MIN_LENGTH"
    if "required" in message:
        return "BASE_TYPE_REQUIRED"
    return "BASE_TYPE_INVALID"


def discord_error_body(problems: list[str]) -> dict[str, Any]:
    """Discord's 400 body: ``errors`` nested by JSON path, leaves hold ``_errors``."""
    errors: dict[str, Any] = {}
    for problem in problems:
        keys, message = _parse_problem(problem)
        node = errors
        for key in keys:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": _error_code(message), "message": message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}
