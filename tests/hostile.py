"""A corpus of hostile inputs, generated from the OpenAPI document the app serves.

Every write endpoint (POST, PUT, PATCH, DELETE under /api) is found in the app's url_map and
its request body in ``/api/openapi.json``, so a new endpoint is covered without editing a test.
Each body starts from a plausible one built from the schema (so a single bad field reaches
deep code paths), then one property at a time is replaced by a hostile value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ROLE_PREFERENCE = ("admin", "coordinator", "patient", "technician")
NUL = "a\u0000b"
DEEP = 1000


@dataclass
class Endpoint:
    method: str
    rule: str  # Flask's, e.g. /api/v1/bookings/<int:booking_id>
    path: str  # OpenAPI's, e.g. /api/v1/bookings/{booking_id}
    roles: list[str] | None  # None: public
    body_schema: dict | None = None
    query: list[dict] = field(default_factory=list)

    @property
    def role(self) -> str | None:
        if self.roles is None:
            return None
        return next(r for r in ROLE_PREFERENCE if r in self.roles)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def _handler(app, rule, method):
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method.lower(), None) if view_class else view


def endpoints(app, spec: dict, methods=WRITE_METHODS) -> list[Endpoint]:
    """Every /api route and method of ``methods``, with its body and query schemas from ``spec``."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(set(methods) & rule.methods):
            handler = _handler(app, rule, method)
            roles = getattr(handler, "_roles_allowed", None)
            operation = spec["paths"].get(path, {}).get(method.lower(), {})
            body = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            found.append(Endpoint(method, rule.rule, path, roles, resolve(spec, body), query))
    return sorted(found, key=str)


def resolve(spec: dict, schema: dict | None, depth: int = 0) -> dict | None:
    """The schema with every ``$ref`` replaced by what it names."""
    if schema is None or depth > 8:
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return resolve(spec, spec["components"]["schemas"][name], depth + 1)
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {k: resolve(spec, v, depth + 1) for k, v in out["properties"].items()}
    if "items" in out:
        out["items"] = resolve(spec, out["items"], depth + 1)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in out:
            out[key] = [resolve(spec, s, depth + 1) for s in out[key]]
    return out


def _one(schema: dict) -> dict:
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            return next((s for s in schema[key] if s.get("type") != "null"), schema[key][0])
    return schema


def plausible(schema: dict | None, name: str = "", ids: dict | None = None):
    """A value of the shape ``schema`` describes, valid where guessing can make it so."""
    ids = ids or {}
    schema = _one(schema or {})
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "object" or "properties" in schema:
        return {
            k: plausible(v, k, ids) for k, v in schema.get("properties", {}).items() if not v.get("readOnly")
        }
    if kind == "array":
        return [plausible(schema.get("items"), name, ids)]
    if kind == "integer":
        return ids.get(name, max(schema.get("minimum", 1), 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if fmt == "date":
        return (date.today() + timedelta(days=10)).isoformat()
    if fmt == "date-time":
        return (date.today() + timedelta(days=10)).isoformat() + "T14:00:00+00:00"
    if fmt == "time":
        return "09:00:00"
    if fmt == "email":
        return "someone@example.org"
    if "zone" in name:
        return "America/New_York"
    return "plausible text"[: schema.get("maxLength", 100)]


def hostile_values(schema: dict | None) -> Iterator[tuple[str, object]]:
    """Bad values for a property of ``schema``: control characters, overflow, wrong shapes."""
    schema = _one(schema or {})
    kind, fmt = schema.get("type"), schema.get("format")
    yield "null-typed-object", {"$where": [1]}
    if kind == "string" or kind is None:
        yield "nul", NUL
        yield "bell", "a\u0007b"
        yield "escape", "a\u001bb"
        yield "over-long", "x" * (schema.get("maxLength", 1000) + 1)
        yield "very-long", "y" * 200_000
        yield "lone-surrogate", "a\ud800b"
        yield "c1-control", "a\x85b"
        yield "number", 12
        if fmt in ("date", "date-time"):
            yield "year-9999", "9999-12-31" if fmt != "date-time" else "9999-12-31T23:00:00+00:00"
            yield "year-1", "0001-01-01" if fmt != "date-time" else "0001-01-01T00:00:00+00:00"
        if fmt in ("date-time", "time"):
            yield "offset-99", "10:00:00+99:00" if fmt != "date-time" else "2030-01-01T10:00:00+99:00"
            yield "offset-24", "10:00:00+24:00" if fmt != "date-time" else "2030-01-01T10:00:00+24:00"
            yield "offset-2359", "10:00:00+23:59" if fmt != "date-time" else "2030-01-01T10:00:00-23:59"
        if fmt == "email":
            yield "email-255", "a" * 243 + "@example.org"
            yield "email-local-65", "b" * 65 + "@example.org"
    if kind in ("integer", "number"):
        yield "huge", 10**30
        yield "huge-negative", -(10**30)
        yield "infinity", 1e999
        if kind == "integer":
            yield "fraction", 1.5
    if kind == "boolean":
        yield "text", "maybe"
    if kind == "array":
        yield "object-for-array", {"a": 1}
        yield "array-of-nul", [NUL]
        yield "huge-array", list(range(100_000))
    if kind == "object" or "properties" in schema:
        yield "array-for-object", [{"a": 1}]
        yield "string-for-object", "x"


# Bodies no endpoint may take, whether or not it reads one: refused before any view runs.
MALFORMED = {"deep-array", "deep-object", "deep-in-field", "truncated", "nan-literal", "huge-integer-literal"}


def body_cases(endpoint: Endpoint, ids: dict) -> Iterator[tuple[str, dict]]:
    """(label, request kwargs for the Flask test client) for one endpoint."""
    deep_array = "[" * DEEP + "]" * DEEP
    deep_object = '{"a":' * DEEP + "1" + "}" * DEEP
    raw = {
        "deep-array": deep_array,
        "deep-object": deep_object,
        "deep-in-field": '{"notes":' + deep_array + "}",
        "null": "null",
        "array": "[{}]",
        "number": "123",
        "huge-integer-literal": '{"a": ' + "9" * 5000 + "}",
        "string": '"text"',
        "truncated": '{"a": ',
        "nul-key": '{"\\u0000": 1}',
        "lone-surrogate": '{"a": "\\ud800"}',
        "nan-literal": '{"a": NaN}',
    }
    schema = endpoint.body_schema
    for label, text in raw.items():
        if not schema and label not in MALFORMED:
            continue  # well-formed JSON, and the endpoint takes no body: ignoring it is right
        yield label, {"data": text, "content_type": "application/json"}
    yield "invalid-utf8", {"data": b'{"a": "\xff\xfe"}', "content_type": "application/json"}
    yield "text-plain", {"data": "hello", "content_type": "text/plain"}
    yield "form", {"data": {"a": NUL}, "content_type": "application/x-www-form-urlencoded"}
    yield "xml", {"data": "<a>1</a>", "content_type": "application/xml"}
    if not schema:
        return
    base = plausible(schema, ids=ids)
    if not isinstance(base, dict):
        return
    for prop, prop_schema in (schema.get("properties") or {}).items():
        if prop_schema.get("readOnly"):
            continue
        for label, value in hostile_values(prop_schema):
            body = copy.deepcopy(base)
            body[prop] = value
            yield f"{prop}={label}", {"json": body}
        nested = _one(prop_schema)
        if nested.get("type") == "array":
            nested = _one(nested.get("items") or {})
        for inner, inner_schema in (nested.get("properties") or {}).items():
            for label, value in hostile_values(inner_schema):
                body = copy.deepcopy(base)
                outer = body.get(prop)
                target = outer[0] if isinstance(outer, list) and outer else outer
                if isinstance(target, dict):
                    target[inner] = value
                    yield f"{prop}.{inner}={label}", {"json": body}


def query_cases(endpoint: Endpoint) -> Iterator[tuple[str, dict]]:
    """Hostile query strings, one parameter at a time."""
    for param in endpoint.query:
        if param["name"] == "page":
            continue  # an absurd page is an empty page (booking.api.common.paginate_query)
        for label, value in hostile_values(param.get("schema")):
            if isinstance(value, (dict, list)) or label in (
                "number",
                "fraction",
                "infinity",
                "lone-surrogate",
            ):
                continue  # a query string is text: these are either unsendable or valid
            yield f"?{param['name']}={label}", {param["name"]: str(value)}
