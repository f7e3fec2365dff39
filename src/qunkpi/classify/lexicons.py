"""Lexicons and patterns as data files: shipped ones, extended or overridden from the workspace.

Files (one entry per line, ``#`` comments) live in ``src/qunkpi/classify/lexicons/``; a workspace
folder ``<ws>/<settings.classification.lexicon_dir>/`` may hold files of the same name:

- every entry there is added to the shipped list;
- a line ``-entry`` removes that entry (compared in normal form);
- a line ``!replace`` (anywhere) drops the shipped list of that file entirely.

``re:PATTERN`` entries are RE2 regular expressions; other entries are literals, normalised
(full-width → half-width, traditional → simplified, lowercase) and widened so that they match
their variants. Sentiment and modifier files take an optional weight after the last space.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from qunkpi.classify.normalize import normalize, widen_literal, widen_regex
from qunkpi.errors import ConfigError

#: name → (description, weighted?)
LEXICON_FILES: dict[str, tuple[str, bool]] = {
    "filler": ("whole-message acknowledgements and noise (filler)", False),
    "greetings": ("whole-message greetings and wishes (filler)", False),
    "question_cues": ("question cues, matched on the substance", False),
    "not_question": ("statements containing a question cue", False),
    "checkin": ("check-in cues, matched on the raw text", False),
    "not_checkin": ("mentions of check-in that are not check-ins", False),
    "spam": ("contact solicitation, promotion, self-advertising", False),
    "promo": ("promotion words that make a link spam", False),
    "negative": ("negative sentiment words (weighted)", True),
    "positive": ("positive sentiment words (weighted)", True),
    "negation": ("negators", False),
    "intensifiers": ("intensifiers and downtoners (weighted factor)", True),
    "sentiment_neutral": ("neutral phrases that contain sentiment words", False),
    "staff_names": ("staff nickname patterns", False),
    "topic_dict": ("domain words for topic segmentation (jieba user dictionary)", False),
    "stopwords": ("words never reported as topics", False),
}

# Files matched on the message's substance (spaces removed): their entries lose their spaces.
CORE_MATCHED = {"filler", "greetings", "question_cues", "not_question"}


@dataclass(frozen=True)
class Entry:
    value: str  # normal form (literal) or the pattern as written (regex)
    is_regex: bool = False
    weight: float = 1.0
    source: str = "shipped"

    def fragment(self, core: bool = False) -> str:
        """This entry as an RE2 fragment (literals widened to their spelling variants)."""
        if self.is_regex:
            return "(?:" + widen_regex(self.value) + ")"
        value = self.value.replace(" ", "") if core else self.value
        return widen_literal(value)


@dataclass
class Lexicons:
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def get(self, name: str) -> list[Entry]:
        return self.entries.get(name, [])

    def words(self, name: str) -> list[str]:
        return [e.value for e in self.get(name) if not e.is_regex]

    def pattern(self, name: str, entries: Iterable[Entry] | None = None) -> str:
        """An alternation of the entries of one file (longest literals first), or a never-matching pattern."""
        es = list(self.get(name) if entries is None else entries)
        core = name in CORE_MATCHED
        lits = sorted((e for e in es if not e.is_regex), key=lambda e: (-len(e.value), e.value))
        regs = [e for e in es if e.is_regex]
        frags = [e.fragment(core) for e in lits] + [e.fragment(core) for e in regs]
        frags = [f for f in frags if f]
        if not frags:
            return "(?:\\x{10FFFF}\\x{10FFFE}\\x{10FFFD})"  # matches nothing real
        return "(?:" + "|".join(frags) + ")"

    def weight_groups(self, name: str) -> list[tuple[float, list[Entry]]]:
        """Entries grouped by weight, strongest first."""
        groups: dict[float, list[Entry]] = {}
        for e in self.get(name):
            groups.setdefault(e.weight, []).append(e)
        return sorted(groups.items(), key=lambda kv: -abs(kv[0]))

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.entries):
            h.update(name.encode())
            for e in self.entries[name]:
                h.update(f"\x00{e.value}\x01{e.is_regex}\x02{e.weight}".encode())
        return h.hexdigest()[:16]


def _parse_line(raw: str, weighted: bool, source: str) -> tuple[str, Entry | None, bool]:
    """→ (op, entry, replace) where op is '+', '-' or '' (nothing)."""
    line = raw.strip()
    if not line or line.startswith("#"):
        return "", None, False
    if line == "!replace":
        return "", None, True
    if not line.startswith("re:"):
        # comments after an entry: "收到   # acknowledgement"
        hash_at = line.find(" #")
        if hash_at >= 0:
            line = line[:hash_at].rstrip()
    op = "+"
    if line.startswith("-") and len(line) > 1 and not line.startswith("-1"):
        op, line = "-", line[1:].strip()
    weight = 1.0
    if weighted:
        head, _, tail = line.rpartition(" ")
        if head:
            try:
                weight = float(tail)
                line = head.rstrip()
            except ValueError:
                pass
    if line.startswith("re:"):
        pat = line[3:]
        return op, Entry(pat, True, weight, source), False
    value = normalize(line)
    if not value:
        return "", None, False
    return op, Entry(value, False, weight, source), False


def _read(
    path: Path | None, text: str | None, weighted: bool, source: str
) -> tuple[list[tuple[str, Entry]], bool]:
    content = text if text is not None else (path.read_text(encoding="utf-8-sig") if path else "")
    ops: list[tuple[str, Entry]] = []
    replace = False
    for raw in content.splitlines():
        op, entry, rep = _parse_line(raw, weighted, source)
        replace = replace or rep
        if entry is not None and op:
            ops.append((op, entry))
    return ops, replace


def shipped_text(name: str) -> str:
    return resources.files("qunkpi.classify").joinpath("lexicons", f"{name}.txt").read_text(encoding="utf-8")


def load_lexicons(workspace_dir: Path | None = None) -> Lexicons:
    """The shipped lexicons, extended/overridden by ``workspace_dir`` (may be None or missing)."""
    lex = Lexicons()
    lex.sources.append("shipped")
    for name, (_, weighted) in LEXICON_FILES.items():
        ops, _ = _read(None, shipped_text(name), weighted, "shipped")
        entries: dict[tuple[str, bool], Entry] = {}
        for _op, e in ops:
            entries[(e.value, e.is_regex)] = e
        if workspace_dir is not None:
            wpath = workspace_dir / f"{name}.txt"
            if wpath.is_file():
                try:
                    wops, replace = _read(wpath, None, weighted, str(wpath))
                except UnicodeDecodeError as err:
                    raise ConfigError(f"{wpath}: not UTF-8 text ({err})") from err
                if replace:
                    entries = {}
                for op, we in wops:
                    key = (we.value, we.is_regex)
                    if op == "-":
                        entries.pop(key, None)
                    else:
                        entries[key] = we
                lex.sources.append(str(wpath))
        lex.entries[name] = list(entries.values())
    _validate(lex)
    return lex


def _validate(lex: Lexicons) -> None:
    """Regex entries must compile as RE2 (DuckDB's regex engine)."""
    import duckdb

    regs = [(name, e) for name, es in lex.entries.items() for e in es if e.is_regex and e.source != "shipped"]
    if not regs:
        return
    con = duckdb.connect()
    try:
        for name, e in regs:
            try:
                con.execute("SELECT regexp_matches('', ?)", [e.fragment()])
            except duckdb.Error as err:
                raise ConfigError(f"{e.source}: lexicon {name}: bad pattern re:{e.value}: {err}") from err
    finally:
        con.close()


def workspace_lexicon_dir(ws: object) -> Path:
    settings = ws.settings  # type: ignore[attr-defined]
    return Path(ws.path) / settings.classification.lexicon_dir  # type: ignore[attr-defined]
