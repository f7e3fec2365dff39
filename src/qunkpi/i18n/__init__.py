"""zh-CN / en text. Every user-facing string goes through :func:`tr` (inline pairs) or :func:`t` (catalog keys).

The language is chosen once per process: ``--lang`` on the command line, else ``QUNKPI_LANG``, else the
POSIX locale (``LC_ALL``/``LC_MESSAGES``/``LANG`` starting with ``en`` → English), else zh-CN (SPEC: Chinese
first where no locale is set). :func:`set_lang` switches it (the web layer does per request via ``tr_for``).
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar

LANGS = ("zh-CN", "en")


def _normalise(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower().replace("_", "-")
    if v.startswith("en"):
        return "en"
    if v.startswith("zh"):
        return "zh-CN"
    return None


def detect_lang(argv: list[str] | None = None) -> str:
    args = sys.argv if argv is None else argv
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            got = _normalise(args[i + 1])
            if got:
                return got
        if a.startswith("--lang="):
            got = _normalise(a.split("=", 1)[1])
            if got:
                return got
    for var in ("QUNKPI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        got = _normalise(os.environ.get(var))
        if got:
            return got
    return "zh-CN"


_DEFAULT_LANG = detect_lang()
_lang: ContextVar[str] = ContextVar("qunkpi_lang", default=_DEFAULT_LANG)


def get_lang() -> str:
    return _lang.get()


def set_lang(lang: str) -> None:
    _lang.set(_normalise(lang) or "zh-CN")


def tr(zh: str, en: str, lang: str | None = None) -> str:
    """Pick the text for the current (or given) language."""
    return en if (lang or _lang.get()) == "en" else zh


def t(key: str, lang: str | None = None, **kw: object) -> str:
    """A catalog message by key (see :mod:`qunkpi.i18n.catalog`), formatted with ``kw``."""
    from qunkpi.i18n.catalog import MESSAGES

    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if (lang or _lang.get()) == "en" else pair[0]
    return text.format(**kw) if kw else text
