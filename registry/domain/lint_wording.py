"""The words, patterns and text measures template lint works with (lint.py): whole-word
stem lists matched against folded text (NFKC, case folding, ё→е), placeholders, and emoji
counted as the reader sees them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import emoji


def words(*patterns: str) -> re.Pattern[str]:
    """Whole-word alternatives, matched against `fold`ed text."""
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


NEGATIVE_CONTEXT: Final = words(
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
OPT_OUT: Final = words(
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
HYPHENATED_STOP: Final = re.compile(r"(?:-(?:stop|стоп)(?!\w))|(?:(?<!\w)(?:stop|стоп)-)")
RELATIONSHIP: Final = words(
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
PLACEHOLDER: Final = re.compile(r"\{\{([^{}]*)\}\}")
POSITIONAL: Final = re.compile(r"[1-9][0-9]{0,5}")
NAMED: Final = re.compile(r"[a-z_][a-z0-9_]*")
EXCLAMATIONS: Final = re.compile(r"!{3,}")
INVISIBLE: Final = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
TEXT_STYLE_SYMBOLS: Final = frozenset("©®™‼⁉ℹ↔↕↖↗↘↙↩↪")
EMOJI_RUN: Final = re.compile(
    r"(?:[#*0-9](?=[\ufe0f\u20e3])"
    r"|[\u00a9\u00ae\u200d\u203c-\u3299\ufe0f\U0001f000-\U0001ffff\U000e0020-\U000e007f])+"
)


def fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(INVISIBLE).casefold()
    return folded.replace("ё", "е")


def quote(text: str, limit: int = 40) -> str:
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
            if not (len(seen) == 1 and seen in TEXT_STYLE_SYMBOLS):
                count += 1
                if stop_above is not None and count > stop_above:
                    return count
    return count


@dataclass(frozen=True)
class Placeholders:
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


def placeholders(text: str) -> Placeholders:
    positional: dict[int, None] = {}
    named: dict[str, None] = {}
    malformed: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text):
        inner = match.group(1)
        if POSITIONAL.fullmatch(inner):
            positional[int(inner)] = None
        elif NAMED.fullmatch(inner):
            named[inner] = None
        else:
            malformed[match.group(0)] = None
    return Placeholders(tuple(positional), tuple(named), tuple(malformed))
