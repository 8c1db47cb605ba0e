"""The symptom check-in's question set: a shipped default, or a JSON file named by configuration.

The set is validated when the app starts (``load``), so a broken file stops
the app with a clear message instead of showing patients a broken form.
Every question is a yes/no question; a "yes" to a ``red_flag`` question is a
warning sign, and its ``severity`` says what the patient must do now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

DEFAULT_FILE = Path(__file__).with_name("data") / "checkin_questions.json"
SEVERITIES = ("call_provider", "emergency")


class _TextSchema(Schema):
    en = fields.String(required=True, validate=validate.Length(min=5, max=500))
    es = fields.String(validate=validate.Length(min=5, max=500))


class _QuestionSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    text = fields.Nested(_TextSchema, required=True)
    red_flag = fields.Boolean(required=True)
    severity = fields.String(load_default="call_provider", validate=validate.OneOf(SEVERITIES))


class _QuestionSetSchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    source = fields.String(validate=validate.Length(max=500))
    questions = fields.List(
        fields.Nested(_QuestionSchema), required=True, validate=validate.Length(min=1, max=30)
    )

    @validates_schema
    def _unique_ids(self, data, **_):
        ids = [q["id"] for q in data.get("questions", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Question ids must be unique.", "questions")


@dataclass(frozen=True)
class Question:
    id: str
    text: dict[str, str]
    red_flag: bool
    severity: str

    def text_in(self, language: str) -> str:
        return self.text.get(language) or self.text["en"]


@dataclass(frozen=True)
class QuestionSet:
    version: str
    questions: tuple[Question, ...]

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


def parse(document: object) -> QuestionSet:
    """A validated question set from a decoded JSON document.

    :raise ValueError: the document is not a valid question set (with marshmallow's messages).
    """
    try:
        data = _QuestionSetSchema().load(document)
    except ValidationError as exc:
        raise ValueError(f"invalid check-in question set: {exc.messages}") from exc
    return QuestionSet(
        version=data["version"],
        questions=tuple(
            Question(q["id"], dict(q["text"]), q["red_flag"], q["severity"]) for q in data["questions"]
        ),
    )


def load(path: str | Path | None) -> QuestionSet:
    """The question set in ``path``, or the shipped default when ``path`` is empty.

    :raise ValueError: unreadable file, not JSON, or not a valid question set.
    """
    source = Path(path) if path else DEFAULT_FILE
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the check-in question set {source}: {exc}") from exc
    return parse(document)
