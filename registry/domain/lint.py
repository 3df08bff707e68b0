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

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import emoji

from registry.domain.vocabulary import PURPOSES_BY_CATEGORY, purpose_fits_category

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


def _words(*patterns: str) -> re.Pattern[str]:
    """Whole-word alternatives, matched against `_fold`ed text."""
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


_NEGATIVE_CONTEXT: Final = _words(
    r"задолж\w*",
    r"просроч\w*",
    r"долг(?:а|у|ом|е|и|ов|ам|ами|ах)?",
    r"долгов(?:ой|ая|ое|ые|ого|ому|ую|ым|ыми|ых|ом)",
    r"должник\w*",
    r"должниц\w*",
    r"коллектор\w*",
    r"взыскани\w*",
    r"debt\w*",
    r"indebted\w*",
    r"overdue",
    r"past[\s-]+due",
    r"arrears?",
    r"collection\s+agenc(?:y|ies)",
    r"delinquen\w*",
)
_OPT_OUT: Final = _words(
    r"отпис\w*",
    r"отпиш\w*",
    r"отказ\w*\s+от\s+(?:рассыл|сообщени|уведомлени|подписк|реклам)\w*",
    r"отмен\w*\s+подписк\w*",
    r"стоп",
    r"stop",
    r"stopall",
    r"unsubscrib\w*",
    r"opt(?:ing)?[\s-]*out",
)
# "non-stop" or "стоп-кран" are not instructions to stop.
_HYPHENATED_STOP: Final = re.compile(r"(?:-(?:stop|стоп)(?!\w))|(?:(?<!\w)(?:stop|стоп)-)")
_RELATIONSHIP: Final = _words(
    r"недавно\s+вы",
    r"вы\s+недавно",
    r"вы\s+интересовал\w*",
    r"ваш\w*\s+(?:последн\w*\s+)?(?:заказ|покупк|аккаунт|профил|карт|корзин|подписк|бонус|"
    r"баланс|счет|абонемент|визит|бронировани|избранн)\w*",
    r"вы\s+(?:уже\s+)?(?:покупали|купили|приобрели|приобретали|заказывали|заказали|смотрели|"
    r"просматривали|добавили|оставили|посещали|подписались|выбирали|выбрали|пользуетесь|"
    r"бронировали|забронировали)",
    r"(?:как|для)\s+наш\w*\s+(?:постоянн\w*\s+)?(?:клиент|покупател|гост)\w*",
    r"постоянн\w*\s+(?:клиент|покупател|гост)\w*",
    r"you\s+recently",
    r"recently\s+you",
    r"your\s+(?:recent\s+|last\s+|previous\s+)?(?:order|purchase|account|cart|basket|"
    r"subscription|membership|booking|reservation|visit|loyalty|wishlist|favou?rite)s?",
    r"as\s+(?:our|a\s+valued|a\s+loyal|a\s+regular)\s+(?:customer|client|member|guest)s?",
    r"you(?:['’]ve|\s+have)?\s+(?:recently\s+|already\s+)?(?:purchased|bought|ordered|viewed|"
    r"browsed|left|saved|added|signed\s+up|subscribed|joined|booked|visited|shopped|"
    r"were\s+interested|showed\s+interest)",
    r"thank(?:s|\s+you)\s+for\s+(?:shopping|your\s+purchase|being\s+our)",
)
_PLACEHOLDER: Final = re.compile(r"\{\{([^{}]*)\}\}")
_POSITIONAL: Final = re.compile(r"[1-9][0-9]{0,5}")
_NAMED: Final = re.compile(r"[a-z_][a-z0-9_]*")
_EXCLAMATIONS: Final = re.compile(r"!{3,}")
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_TEXT_STYLE_SYMBOLS: Final = frozenset("©®™‼⁉ℹ↔↕↖↗↘↙↩↪")
EMOJI_RUN: Final = re.compile(
    r"(?:[#*0-9](?=[\ufe0f\u20e3])"
    r"|[\u00a9\u00ae\u200d\u203c-\u3299\ufe0f\U0001f000-\U0001ffff\U000e0020-\U000e007f])+"
)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return folded.replace("ё", "е")


def _quote(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def count_emoji(text: str, *, stop_above: int | None = None) -> int:
    """Emoji as the reader sees them: one per grapheme, even for ZWJ sequences and flags.

    The `emoji` tokenizer is slow per character, so it only sees the runs of characters that
    can belong to an emoji (`EMOJI_RUN`); every emoji the package knows is one such run.
    With `stop_above`, counting stops at the first emoji past that many.
    """
    count = 0
    for run in EMOJI_RUN.finditer(text):
        for token in emoji.analyze(run.group(0), non_emoji=False, join_emoji=True):
            seen = token.chars
            if not (len(seen) == 1 and seen in _TEXT_STYLE_SYMBOLS):
                count += 1
                if stop_above is not None and count > stop_above:
                    return count
    return count


@dataclass(frozen=True)
class _Placeholders:
    positional: tuple[int, ...]
    named: tuple[str, ...]
    malformed: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.positional) + len(self.named)

    @property
    def kind(self) -> str | None:
        if self.positional and not self.named:
            return "POSITIONAL"
        if self.named and not self.positional:
            return "NAMED"
        return None


def _placeholders(text: str) -> _Placeholders:
    positional: dict[int, None] = {}
    named: dict[str, None] = {}
    malformed: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text):
        inner = match.group(1)
        if _POSITIONAL.fullmatch(inner):
            positional[int(inner)] = None
        elif _NAMED.fullmatch(inner):
            named[inner] = None
        else:
            malformed[match.group(0)] = None
    return _Placeholders(tuple(positional), tuple(named), tuple(malformed))


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
    count = count_emoji(parts.body_text, stop_above=enough)
    if count > max_emoji:
        found = f"more than {enough}" if count > enough else str(count)
        yield _error("too_many_emoji", f"BODY has {found} emoji; keep at most {max_emoji}.")


def _not_personalised(parts: _Template) -> Iterator[LintFinding]:
    if not parts.marketing:
        return
    if _placeholders(parts.header_text).count or _placeholders(parts.body_text).count:
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
        folded = _fold(text)
        if _OPT_OUT.search(_HYPHENATED_STOP.sub(" ", folded)):
            return
    yield _error(
        "missing_opt_out",
        "A MARKETING template must say how to opt out: add a FOOTER such as "
        '"Reply STOP to unsubscribe" / «Чтобы отписаться, ответьте СТОП», '
        'or a QUICK_REPLY button "Stop promotions" / «Отписаться».',
    )


def _negative_context(parts: _Template) -> Iterator[LintFinding]:
    for label, text in parts.texts():
        match = _NEGATIVE_CONTEXT.search(_fold(text))
        if match:
            yield _error(
                "negative_context",
                f"{label} speaks of debt, overdue payments or arrears "
                f'("{_quote(match.group(0))}"); remove it: such messages are not allowed.',
            )


def _missing_relationship(parts: _Template) -> Iterator[LintFinding]:
    if not parts.marketing:
        return
    for text in (parts.header_text, parts.body_text, parts.footer_text):
        if _RELATIONSHIP.search(_fold(text)):
            return
    yield _warning(
        "missing_relationship",
        "Say why this customer receives the message, showing an existing relationship, "
        'e.g. "You recently ordered …", "As our customer …" / «Недавно вы интересовались …», '
        "«Ваш заказ …».",
    )


def _listed(items: Sequence[object]) -> str:
    return ", ".join(_quote(str(item)) for item in items[:5]) + (", …" if len(items) > 5 else "")


def _sequence_problems(label: str, found: _Placeholders) -> Iterator[str]:
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
    header = _placeholders(parts.header_text)
    body = _placeholders(parts.body_text)
    problems = [*_sequence_problems("HEADER", header), *_sequence_problems("BODY", body)]
    if header.count > 1:
        problems.append("HEADER may hold only one placeholder; keep one.")
    if _PLACEHOLDER.search(parts.footer_text):
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
        if _PLACEHOLDER.search(url) and not (
            url.endswith("{{1}}") and len(_PLACEHOLDER.findall(url)) == 1
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
    label: str, found: _Placeholders, example: Mapping[str, Any], prefix: str
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
            _placeholders(parts.header_text),
            _mapping(parts.header.get("example")),
            "header",
        ),
        *_example_problems(
            "BODY", _placeholders(parts.body_text), _mapping(parts.body.get("example")), "body"
        ),
    ]
    for label, button in parts.labelled_buttons():
        if _PLACEHOLDER.search(_string(button.get("url"))):
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
    letters = [c for c in _PLACEHOLDER.sub(" ", text) if c.isupper() or c.islower()]
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
        if _EXCLAMATIONS.search(unicodedata.normalize("NFKC", text)):
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
        f"Purpose {_quote(parts.purpose)!r} does not fit category {_quote(parts.category)!r}; "
        + (
            f"choose one of {', '.join(fitting)} or another category."
            if fitting
            else "choose MARKETING, UTILITY or AUTHENTICATION."
        ),
    )
