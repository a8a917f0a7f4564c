"""Vietnamese alphabetical order, for agency names.

Sorting by character code puts "Bình Gia" before "Bắc Sơn" (ì is U+00EC, ắ is U+1EAF) and
"Đình Lập" after "Văn Quan" (Đ is U+0110). Vietnamese dictionaries, and CLDR's ``vi`` collation,
order the letters

    a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y

(f, j, w and z, found in foreign names, in their Latin places). Names compare syllable by
syllable, as dictionaries list words ("Bình Gia" before "Bình Giang", every "giao ..." before any
"giáo ..."); within a syllable the tone counts only when the letters are equal, in the order:
none, huyền (à), hỏi (ả), ngã (ã), sắc (á), nặng (ạ). Case counts last. Runs of digits compare
as numbers ("Phường 2" before "Phường 10"); punctuation sorts before digits and letters.

(ICU's ``vi`` collation weighs tones over the whole string instead, which puts "Sở Giáo dục"
before "Sở Giao thông"; we follow the dictionaries' syllable order.)
"""

from __future__ import annotations

import re
import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
LETTER_RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}
# the marks that make a letter of its own (ă â ê ô ơ ư): breve, circumflex, horn
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
# tone marks, in dictionary order after "no tone": grave, hook above, tilde, acute, dot below
TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
TOKEN = re.compile(r"\d+|.", re.S)

# classes of characters, in CLDR's root order: punctuation and symbols, digits, letters
OTHER, DIGIT, LETTER = 1, 2, 3


def _letters(text: str) -> list[tuple[str, int, int]]:
    """(base letter with its letter marks, tone rank, is upper case) per letter, in order."""
    result: list[tuple[str, int, int]] = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        tone = max((TONE_RANK.get(mark, 0) for mark in marks), default=0)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in LETTER_MARKS))
        result.append((letter, tone, int(letter != letter.lower())))
    return result


def _syllable_key(syllable: str) -> tuple[tuple, tuple[int, ...]]:
    primary: list[tuple[int, int | str]] = []
    tones: list[int] = []
    for token in TOKEN.findall(syllable):
        if token.isdigit():
            primary.append((DIGIT, int(token)))
            continue
        ((letter, tone, _),) = _letters(token)
        rank = LETTER_RANK.get(letter.lower())
        primary.append((OTHER, letter) if rank is None else (LETTER, rank))
        tones.append(tone)
    return tuple(primary), tuple(tones)


def vietnamese_sort_key(text: str) -> tuple:
    """A key for ``sorted`` that orders strings in Vietnamese alphabetical order."""
    text = unicodedata.normalize("NFC", text or "")
    syllables = tuple(_syllable_key(syllable) for syllable in text.split())
    cases = tuple(upper for _, _, upper in _letters(text))
    return (syllables, cases, text)


def sort_vietnamese(names, key=lambda name: name):
    """Sort items by a Vietnamese name (``key`` picks the name from an item)."""
    return sorted(names, key=lambda item: vietnamese_sort_key(key(item)))
