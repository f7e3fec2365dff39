"""Text normalisation shared by the lexicons, the SQL rules and the sentiment model.

Normal form: full-width → half-width, traditional → simplified (OpenCC's character table, t2s),
lowercase. Lexicon entries are stored in normal form; in SQL they are *widened* instead of
normalising every message (that would cost a pass over all text): each character of an entry
becomes a class of its variants (``谢`` → ``[谢謝]``, ``k`` → ``[kｋ]`` with case folding), so an
entry matches the simplified, traditional, full-width and mixed spellings of itself. The model
normalises code points with a lookup table (:func:`codepoint_table`).
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict

import numpy as np

# Characters that need a backslash in an RE2 pattern when meant literally.
_RE_SPECIAL = set("\\.^$|?*+()[]{}-#&~/")
_FW_START, _FW_END, _FW_OFFSET = 0xFF01, 0xFF5E, 0xFEE0
IDEOGRAPHIC_SPACE = 0x3000


@functools.cache
def t2s_map() -> dict[str, str]:
    """Traditional → simplified, one character to one character (OpenCC TSCharacters, first choice)."""
    import opencc

    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            src, dst = parts[0], parts[1].split(" ")[0]
            if len(src) == 1 and len(dst) == 1 and src != dst:
                out[src] = dst
    return out


@functools.cache
def s2t_variants() -> dict[str, str]:
    """Simplified character → the traditional characters that normalise to it (as one string)."""
    rev: dict[str, list[str]] = defaultdict(list)
    for trad, simp in t2s_map().items():
        rev[simp].append(trad)
    return {k: "".join(sorted(v)) for k, v in rev.items()}


@functools.cache
def _translate_table() -> dict[int, int]:
    table: dict[int, int] = {ord(k): ord(v) for k, v in t2s_map().items()}
    for cp in range(_FW_START, _FW_END + 1):
        table[cp] = cp - _FW_OFFSET
    table[IDEOGRAPHIC_SPACE] = 0x20
    table[0xFE0F] = None  # type: ignore[assignment]  # emoji variation selector
    return table


def normalize(text: str) -> str:
    """The normal form of one string (full-width → half-width, t2s, lowercase)."""
    return text.translate(_translate_table()).lower()


LUT_SIZE = 0x30000


@functools.cache
def codepoint_table() -> np.ndarray:
    """Lookup table code point → normalised code point, for vectorised normalisation (BMP + SIP)."""
    lut = np.arange(LUT_SIZE, dtype=np.uint32)
    for k, v in t2s_map().items():
        if ord(k) < LUT_SIZE:
            lut[ord(k)] = ord(v)
    lut[_FW_START : _FW_END + 1] -= _FW_OFFSET
    lut[IDEOGRAPHIC_SPACE] = 0x20
    lut[ord("A") : ord("Z") + 1] += 32
    # after the full-width fold, full-width capitals became ASCII capitals: lower them too
    fw_caps = np.arange(0xFF21, 0xFF3B)
    lut[fw_caps] = fw_caps - _FW_OFFSET + 32
    return lut


def re_escape_char(ch: str) -> str:
    return "\\" + ch if ch in _RE_SPECIAL else ch


def _fullwidth(ch: str) -> str | None:
    o = ord(ch)
    if 0x21 <= o <= 0x7E:
        return chr(o + _FW_OFFSET)
    return None


def widen_char(ch: str, in_class: bool = False) -> str:
    """A character and its variants, as a regex fragment (a class unless there are none)."""
    variants = ch + s2t_variants().get(ch, "")
    fw = _fullwidth(ch)
    if fw:
        variants += fw
    if len(variants) == 1:
        return re_escape_char(ch) if not in_class else _class_escape(ch)
    body = "".join(_class_escape(c) for c in variants)
    return body if in_class else f"[{body}]"


def _class_escape(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


def widen_literal(entry: str) -> str:
    """A literal lexicon entry as an RE2 fragment that matches its spelling variants."""
    return "".join(" +" if c == " " else widen_char(c) for c in entry)


def widen_regex(pattern: str) -> str:
    """Add traditional/full-width variants to the literal CJK characters of a user regex.

    Only plain characters are widened (not escapes such as ``\\d``); inside a character class
    the variants are appended to the class.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append(c)
            elif ord(c) > 0x2E7F:
                out.append(widen_char(c, in_class=True))
            else:
                out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if i + 1 < n and pattern[i + 1] == "^":
                out.append("^")
                i += 1
        elif ord(c) > 0x2E7F:
            out.append(widen_char(c))
        else:
            out.append(c)
        i += 1
    return "".join(out)
