"""Template lint (SPEC R-LINT): judges the content of a shape-valid template submission.

Findings come in the order of `CODES`, then component order (HEADER, BODY, FOOTER, buttons).
Every message is English and says what to change. Besides the rules the spec names, a few
platform limits are reported under the spec's own codes, so that clients see no new codes:

- `placeholder_sequence`: a HEADER with more than one placeholder, a placeholder in FOOTER,
  a URL button whose url holds anything but one `{{1}}` at its end, a `{{…}}` that is neither
  a number nor a lowercase name, HEADER and BODY using different kinds of placeholders, and
  placeholders that contradict a declared `parameter_format`.
- `length`: more than 2 URL buttons, more than 1 PHONE_NUMBER button, more than 1 COPY_CODE
  button.
- `missing_example`: a URL button with `{{1}}` in its url and no example url.

Word rules match whole words from explicit stem lists after NFKC folding, case folding and
ё→е, so that "долго" or "долгожданный" are not debt while "долгу" or "debtor" are.
Emoji are counted as the reader sees them (a flag, a ZWJ family or a skin-toned emoji is
one); ©, ®, ™ and similar symbols without an emoji variation selector are text, not emoji.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from registry.domain import lint_wording as wording
from registry.domain.lint_wording import EMOJI_RUN, count_emoji
from registry.domain.vocabulary import PURPOSES_BY_CATEGORY, purpose_fits_category

__all__ = ["CODES", "EMOJI_RUN", "LintFinding", "count_emoji", "lint_template"]

CODES: Final = (
    "too_many_emoji",
    "not_personalised",
    "missing_opt_out",
    "negative_context",
    "missing_relationship",
    "placeholder_sequence",
    "missing_example",
    "length",
    "shouting",
    "category_mismatch",
)
MAX_BODY_LENGTH: Final = 1024
MAX_HEADER_LENGTH: Final = 60
MAX_FOOTER_LENGTH: Final = 60
MAX_BUTTONS: Final = 10
MAX_BUTTONS_OF_TYPE: Final = {"URL": 2, "PHONE_NUMBER": 1, "COPY_CODE": 1}
MAX_EMOJI_REPORTED: Final = 100  # counting stops past this many (or past max_emoji)
SHOUTING_SHARE: Final = 0.6
SHOUTING_MIN_LETTERS: Final = 10

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class LintFinding:
    code: str
    severity: Severity
    message: str

    def to_document(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message": self.message}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


@dataclass(frozen=True)
class _Template:
    category: str
    purpose: str
    parameter_format: str
    header: Mapping[str, Any]
    body: Mapping[str, Any]
    footer: Mapping[str, Any]
    buttons: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, template: Mapping[str, Any]) -> _Template:
        parts: dict[str, Mapping[str, Any]] = {}
        for value in _list(template.get("components")):
            component = _mapping(value)
            parts.setdefault(_string(component.get("type")), component)
        buttons = _list(parts.get("BUTTONS", {}).get("buttons"))
        return cls(
            category=_string(template.get("category")),
            purpose=_string(template.get("purpose")),
            parameter_format=_string(template.get("parameter_format")),
            header=parts.get("HEADER", {}),
            body=parts.get("BODY", {}),
            footer=parts.get("FOOTER", {}),
            buttons=tuple(_mapping(button) for button in buttons),
        )

    @property
    def marketing(self) -> bool:
        return self.category == "MARKETING"

    @property
    def header_text(self) -> str:
        if _string(self.header.get("format")) in ("", "TEXT"):
            return _string(self.header.get("text"))
        return ""

    @property
    def body_text(self) -> str:
        return _string(self.body.get("text"))

    @property
    def footer_text(self) -> str:
        return _string(self.footer.get("text"))

    def labelled_buttons(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for number, button in enumerate(self.buttons, start=1):
            yield f"button {number} ({_string(button.get('type'))})", button

    def texts(self) -> Iterator[tuple[str, str]]:
        """Every text a customer may read, labelled by where it stands."""
        yield "HEADER", self.header_text
        yield "BODY", self.body_text
        yield "FOOTER", self.footer_text
        for label, button in self.labelled_buttons():
            yield label, _string(button.get("text"))


def lint_template(template: Mapping[str, Any], *, max_emoji: int = 3) -> list[LintFinding]:
    """Every finding about the content of `template`, errors and warnings, in a fixed order."""
    parts = _Template.of(template)
    findings = [
        *_too_many_emoji(parts, max_emoji),
        *_not_personalised(parts),
        *_missing_opt_out(parts),
        *_negative_context(parts),
        *_missing_relationship(parts),
        *_placeholder_sequence(parts),
        *_missing_example(parts),
        *_length(parts),
        *_shouting(parts),
        *_category_mismatch(parts),
    ]
    return findings


def _error(code: str, message: str) -> LintFinding:
    return LintFinding(code, "error", message)


def _warning(code: str, message: str) -> LintFinding:
    return LintFinding(code, "warning", message)


def _too_many_emoji(parts: _Template, max_emoji: int) -> Iterator[LintFinding]:
    enough = max(max_emoji, MAX_EMOJI_REPORTED)
    count = wording.count_emoji(parts.body_text, stop_above=enough)
    if count > max_emoji:
        found = f"more than {enough}" if count > enough else str(count)
        yield _error("too_many_emoji", f"BODY has {found} emoji; keep at most {max_emoji}.")


def _not_personalised(parts: _Template) -> Iterator[LintFinding]:
    if not parts.marketing:
        return
    if wording.placeholders(parts.header_text).count or wording.placeholders(parts.body_text).count:
        return
    yield _error(
        "not_personalised",
        "A MARKETING template must be personal: address the customer with a placeholder "
        "such as {{1}} or {{first_name}} in HEADER or BODY.",
    )


def _missing_opt_out(parts: _Template) -> Iterator[LintFinding]:
    if not parts.marketing:
        return
    places = [parts.footer_text]
    places += [_string(b.get("text")) for b in parts.buttons if b.get("type") == "QUICK_REPLY"]
    for text in places:
        folded = wording.fold(text)
        if wording.OPT_OUT.search(wording.HYPHENATED_STOP.sub(" ", folded)):
            return
    yield _error(
        "missing_opt_out",
        "A MARKETING template must say how to opt out: add a FOOTER such as "
        '"Reply STOP to unsubscribe" / «Чтобы отписаться, ответьте СТОП», '
        'or a QUICK_REPLY button "Stop promotions" / «Отписаться».',
    )


def _negative_context(parts: _Template) -> Iterator[LintFinding]:
    for label, text in parts.texts():
        match = wording.NEGATIVE_CONTEXT.search(wording.fold(text))
        if match:
            yield _error(
                "negative_context",
                f"{label} speaks of debt, overdue payments or arrears "
                f'("{wording.quote(match.group(0))}"); remove it: such messages are not allowed.',
            )


def _missing_relationship(parts: _Template) -> Iterator[LintFinding]:
    if not parts.marketing:
        return
    for text in (parts.header_text, parts.body_text, parts.footer_text):
        if wording.RELATIONSHIP.search(wording.fold(text)):
            return
    yield _warning(
        "missing_relationship",
        "Say why this customer receives the message, showing an existing relationship, "
        'e.g. "You recently ordered …", "As our customer …" / «Недавно вы интересовались …», '
        "«Ваш заказ …».",
    )


def _listed(items: Sequence[object]) -> str:
    return ", ".join(wording.quote(str(item)) for item in items[:5]) + (
        ", …" if len(items) > 5 else ""
    )


def _sequence_problems(label: str, found: wording.Placeholders) -> Iterator[str]:
    if found.malformed:
        yield (
            f"{label} has {_listed(found.malformed)}, which is not a placeholder; "
            "use {{1}}, {{2}} … or a lowercase name such as {{first_name}}."
        )
    if found.positional and found.named:
        yield f"{label} mixes numbered and named placeholders; use one kind only."
    count = len(found.positional)
    if found.positional and sorted(found.positional) != list(range(1, count + 1)):
        numbers = _listed([f"{{{{{n}}}}}" for n in sorted(found.positional)])
        yield (
            f"{label} numbers its placeholders {numbers}; "
            f"number them from {{{{1}}}} to {{{{{count}}}}} without gaps."
        )


def _placeholder_sequence(parts: _Template) -> Iterator[LintFinding]:
    header = wording.placeholders(parts.header_text)
    body = wording.placeholders(parts.body_text)
    problems = [*_sequence_problems("HEADER", header), *_sequence_problems("BODY", body)]
    if header.count > 1:
        problems.append("HEADER may hold only one placeholder; keep one.")
    if wording.PLACEHOLDER.search(parts.footer_text):
        problems.append("FOOTER may not hold placeholders; remove them.")
    if header.kind and body.kind and header.kind != body.kind:
        problems.append("HEADER and BODY use different kinds of placeholders; use one kind.")
    declared = parts.parameter_format
    for label, found in (("HEADER", header), ("BODY", body)):
        if declared and found.kind and found.kind != declared:
            problems.append(
                f"parameter_format is {declared} but {label} uses "
                f"{'numbered' if found.kind == 'POSITIONAL' else 'named'} placeholders; "
                "make them agree."
            )
    for label, button in parts.labelled_buttons():
        url = _string(button.get("url"))
        if wording.PLACEHOLDER.search(url) and not (
            url.endswith("{{1}}") and len(wording.PLACEHOLDER.findall(url)) == 1
        ):
            problems.append(f"{label} may hold only one {{{{1}}}}, at the end of its url.")
    for problem in problems:
        yield _error("placeholder_sequence", problem)


def _named_examples(entries: object) -> dict[str, object]:
    examples: dict[str, object] = {}
    for value in _list(entries):
        entry = _mapping(value)
        examples.setdefault(_string(entry.get("param_name")), entry.get("example"))
    return examples


def _example_problems(
    label: str, found: wording.Placeholders, example: Mapping[str, Any], prefix: str
) -> Iterator[str]:
    if found.positional:
        count = len(found.positional)
        if prefix == "body":
            rows = _list(example.get("body_text"))
            values = _list(rows[0]) if len(rows) == 1 else []
        else:
            values = _list(example.get("header_text"))
        if len(values) != count or any(_blank(value) for value in values):
            yield (
                f"{label} has {count} numbered placeholder(s); give example.{prefix}_text with "
                f"exactly {count} non-empty value(s)"
                + (" in one row." if prefix == "body" else ".")
            )
    named = _named_examples(example.get(f"{prefix}_text_named_params"))
    for name in found.named:
        if _blank(named.get(name)):
            yield (
                f"{label} placeholder {{{{{name}}}}} has no example; add "
                f'{{"param_name": "{name}", "example": "…"}} to '
                f"example.{prefix}_text_named_params."
            )


def _missing_example(parts: _Template) -> Iterator[LintFinding]:
    problems = [
        *_example_problems(
            "HEADER",
            wording.placeholders(parts.header_text),
            _mapping(parts.header.get("example")),
            "header",
        ),
        *_example_problems(
            "BODY",
            wording.placeholders(parts.body_text),
            _mapping(parts.body.get("example")),
            "body",
        ),
    ]
    for label, button in parts.labelled_buttons():
        if wording.PLACEHOLDER.search(_string(button.get("url"))):
            examples = _list(button.get("example"))
            if not examples or any(_blank(value) for value in examples):
                problems.append(
                    f"{label} has a placeholder in its url; give example: "
                    '["https://…"] with the full url.'
                )
    for problem in problems:
        yield _error("missing_example", problem)


def _length(parts: _Template) -> Iterator[LintFinding]:
    for label, text, limit in (
        ("BODY", parts.body_text, MAX_BODY_LENGTH),
        ("HEADER", parts.header_text, MAX_HEADER_LENGTH),
        ("FOOTER", parts.footer_text, MAX_FOOTER_LENGTH),
    ):
        if len(text) > limit:
            yield _error(
                "length",
                f"{label} is {len(text)} characters long; shorten it to at most {limit}.",
            )
    if len(parts.buttons) > MAX_BUTTONS:
        yield _error(
            "length",
            f"There are {len(parts.buttons)} buttons; keep at most {MAX_BUTTONS}.",
        )
    for button_type, limit in MAX_BUTTONS_OF_TYPE.items():
        count = sum(1 for button in parts.buttons if button.get("type") == button_type)
        if count > limit:
            yield _error(
                "length",
                f"There are {count} {button_type} buttons; keep at most {limit}.",
            )


def _mostly_capitals(text: str) -> bool:
    letters = [c for c in wording.PLACEHOLDER.sub(" ", text) if c.isupper() or c.islower()]
    if len(letters) < SHOUTING_MIN_LETTERS:
        return False
    return sum(1 for c in letters if c.isupper()) > SHOUTING_SHARE * len(letters)


def _shouting(parts: _Template) -> Iterator[LintFinding]:
    for label, text in (("HEADER", parts.header_text), ("BODY", parts.body_text)):
        if _mostly_capitals(text):
            yield _warning(
                "shouting",
                f"{label} is written mostly in capitals; write it in sentence case.",
            )
    for label, text in parts.texts():
        if wording.EXCLAMATIONS.search(unicodedata.normalize("NFKC", text)):
            yield _warning(
                "shouting",
                f'{label} has "!!!"; use at most one exclamation mark.',
            )


def _category_mismatch(parts: _Template) -> Iterator[LintFinding]:
    if purpose_fits_category(parts.purpose, parts.category):
        return
    fitting = sorted(PURPOSES_BY_CATEGORY.get(parts.category, ()))
    yield _error(
        "category_mismatch",
        f"Purpose {wording.quote(parts.purpose)!r} does not fit category {wording.quote(parts.category)!r}; "
        + (
            f"choose one of {', '.join(fitting)} or another category."
            if fitting
            else "choose MARKETING, UTILITY or AUTHENTICATION."
        ),
    )
