"""The text rules of SPEC §4 as one DuckDB SQL, shared by the bulk engine and the single-text path.

A message's *text-level* label depends only on ``(text, msg_type)``: the engine computes it once per
distinct pair (vectorised SQL: RE2 ``regexp_matches`` etc.), scores the model sentiment with numpy,
and then applies the context rules (system, staff, flooding, coordinated posting, answers) with
joins and window functions (:mod:`qunkpi.classify.engine`). :func:`classify_text` runs the very
same SQL on a one-row table, so the CLI, the tests and the stored labels always agree.

Class order (first match wins) within the text level: system type → spam cue / promo link →
type-based filler/share → no substance (emoji/sticker/punctuation only) → filler lexicon (whole
message) → question (question mark outside URLs, or a cue in the substance that survives the
``not_question`` statements) → check-in (cue in the raw text that survives ``not_checkin``) →
share (URL, or ≥ ``share_min_chars`` characters of substance) → chat.

``chars`` (characters of substance): the text with URLs, sticker codes like ``[强]``, emoji,
punctuation and spaces removed, counted in characters (letters of any script and digits).

Sentiment score is in [-1, 1] (negative … positive): the lexicon score ``lex`` (sum over matched
words of weight × intensifier, negated words flip: 不满意 → −0.8×, 不差 → +0.4×) squashed to
``lex/(1+|lex|)``, combined with the model score ``m = 2·P(positive) − 1`` (see
:data:`SENTIMENT_SQL`). Filler and spam stay neutral unless the lexicon is plainly
(|lex| ≥ 2) negative or positive.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from qunkpi.classify.lexicons import Entry, Lexicons, load_lexicons
from qunkpi.workspace.schema import LABEL_CLASSES, LABEL_SENTIMENTS

RULES_VERSION = "2"
CLASSES = LABEL_CLASSES  # SPEC §4, in its order (also the order of the stored ENUM)
EFFECTIVE = ("question", "answer", "checkin", "share", "chat")
UGC = ("question", "answer", "checkin", "share")
SENTIMENTS = LABEL_SENTIMENTS
SHARE_TYPES = ("image", "video", "link", "file")
FILLER_TYPES = ("emotion", "redpacket")
SEP = "\x1f"

# Sentiment combination (tuned on the training reviews' held-out split and the hand-written eval set).
LEX_WEIGHT = 0.65  # weight of the lexicon score in the stored (3-class) score when the lexicon fired
POLARITY_LEX_WEIGHT = 0.5  # the same for the binary polarity (chosen by leave-category-out review accuracy)
MODEL_ONLY_WEIGHT = 0.2  # model score weight when no lexicon word fired: below the label thresholds
POS_THRESHOLD = 0.25
NEG_THRESHOLD = 0.25
PLAIN_LEX = 2.0  # lex ≤ −PLAIN_LEX makes a filler/spam message negative
QUESTION_POSITIVE = 0.3
NEGATED_POSITIVE = -0.8
NEGATED_NEGATIVE = -0.4

URL_RE = r"(?i)(?:https?://|www\.)[!-~]*"
# a question mark, or 吗 closing a clause ("可以吗，这周出差")
QMARK_RE = r"[?？]|[吗嗎](?:[^\p{L}\p{N}]|$)"
STRIP_RE = r"(?i)(?:https?://|www\.)[!-~]*|\[[^\[\]\s]{1,8}\]|[^\p{L}\p{N}\[]+|\["
NEVER = "(?:\\x{10FFFF}\\x{10FFFE})"
FLOOD_TRIM = " !！。.~～…"  # characters around a text that do not make it a different text for flooding


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@dataclass(frozen=True)
class Label:
    cls: str
    reason: str
    sentiment: str
    sentiment_score: float
    chars: int = 0
    text: str | None = None  # the redacted text the rules saw
    sentiment_hits: tuple[str, ...] = field(default_factory=tuple)
    model_score: float | None = None
    polarity: str = "positive"  # binary: sign of polarity_score (for review-style benchmarks)
    polarity_score: float = 0.0

    @property
    def is_effective(self) -> bool:
        return self.cls in EFFECTIVE

    @property
    def is_ugc(self) -> bool:
        return self.cls in UGC

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class"] = d.pop("cls")
        d["sentiment_hits"] = list(self.sentiment_hits)
        return d


@dataclass(frozen=True)
class RuleParams:
    share_min_chars: int = 30
    flood_repeats: int = 3
    flood_window_minutes: int = 10
    coord_senders: int = 4
    coord_window_minutes: int = 30
    coord_min_chars: int = 8
    use_model: bool = True
    model_all: bool = False  # score every text with the model (polarity of filler/spam too); single-text path
    transformer_dir: str | None = None  # optional local transformer model instead of the shipped n-gram model

    @classmethod
    def from_settings(cls, settings: Any) -> RuleParams:
        c = settings.classification if hasattr(settings, "classification") else settings
        extra = getattr(c, "model_extra", None) or {}
        return cls(
            share_min_chars=int(getattr(c, "share_min_chars", 30)),
            flood_repeats=int(getattr(c, "flood_repeats", 3)),
            flood_window_minutes=int(getattr(c, "flood_window_minutes", 10)),
            coord_senders=int(extra.get("coord_senders", 4)),
            coord_window_minutes=int(extra.get("coord_window_minutes", 30)),
            coord_min_chars=int(extra.get("coord_min_chars", 8)),
            use_model=bool(getattr(c, "sentiment_model", True)),
            transformer_dir=extra.get("transformer_dir") or None,
        )


class Rules:
    """SQL fragments compiled from one lexicon state and one set of parameters."""

    def __init__(self, lexicons: Lexicons | None = None, params: RuleParams | None = None) -> None:
        self.lex = lexicons if lexicons is not None else default_lexicons()
        self.params = params or RuleParams()
        if self.params.use_model and not self.params.transformer_dir:
            from qunkpi.classify.model import model_available

            if not model_available():
                self.params = RuleParams(**{**asdict(self.params), "use_model": False})
        p = self.lex.pattern
        self.spam = "(?i)" + p("spam")
        self.promo = "(?i)" + p("promo")
        filler = self.lex.get("filler") + self.lex.get("greetings")
        self.filler_full = "(?i)^(?:" + self.lex.pattern("filler", filler) + ")+$"
        self.qcue = "(?i)" + p("question_cues")
        self.notq = "(?i)" + p("not_question")
        self.checkin = "(?i)" + p("checkin")
        self.notcheckin = "(?i)" + p("not_checkin")
        self._sentiment_patterns()

    # -- sentiment fragments -------------------------------------------------------------------
    def _sentiment_patterns(self) -> None:
        neg = [Entry(e.value, e.is_regex, -abs(e.weight), e.source) for e in self.lex.get("negative")]
        pos = [Entry(e.value, e.is_regex, abs(e.weight), e.source) for e in self.lex.get("positive")]
        neutral = [Entry(e.value, e.is_regex, 0.0, e.source) for e in self.lex.get("sentiment_neutral")]
        words = neutral + neg + pos
        self.sent_words = self.lex.pattern("negative", words)
        negators = self.lex.pattern("negation")
        intens = self.lex.pattern("intensifiers")
        self.sent_any = f"(?i)(?:{negators})?(?:{intens})?{self.sent_words}"
        self.sent_split = f"(?i)^((?:{negators})?)((?:{intens})?)(.*)$"
        # word weight tiers: neutral first (0), then by weight
        tiers: dict[float, list[Entry]] = {}
        for e in words:
            tiers.setdefault(round(e.weight, 3), []).append(e)
        order = sorted(tiers, key=lambda w: (w != 0.0, -abs(w)))
        self.word_tiers_entries = [(w, tiers[w]) for w in order]
        self._sent_tables: tuple[list[tuple[str, float]], list[tuple[str, float]]] | None = None

    def sentiment_tables(self) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(word → weight, intensifier → factor) rows with the spelling variants of each literal entry.

        A word in several lists keeps its first reading: neutral, then the largest |weight|.
        """
        if self._sent_tables is None:
            words: dict[str, float] = {}
            for w, es in self.word_tiers_entries:
                for e in es:
                    if not e.is_regex:
                        for v in spelling_variants(e.value):
                            words.setdefault(v, w)
            ints: dict[str, float] = {}
            for e in self.lex.get("intensifiers"):
                if not e.is_regex:
                    for v in spelling_variants(e.value):
                        ints.setdefault(v, e.weight)
            self._sent_tables = (sorted(words.items()), sorted(ints.items()))
        return self._sent_tables

    def _regex_tier_case(self, expr: str) -> str:
        """Weights of the regex entries of the sentiment lists (literals are looked up in a table)."""
        whens = []
        for w, es in self.word_tiers_entries:
            regs = [e for e in es if e.is_regex]
            if regs:
                pat = "(?i)^" + self.lex.pattern("negative", regs) + "$"
                whens.append(f"WHEN regexp_matches({expr}, {sql_str(pat)}) THEN {w!r}")
        return f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS DOUBLE)"

    def lex_table_sql(self, src: str, words: str, ints: str) -> str:
        """SELECT (tid, lex): the raw lexicon score of each text of ``src`` that has a sentiment word.

        Each hit of ``sent_any`` is ``[negator][intensifier]word``, split with a small pattern (greedy
        prefixes). Three readings, the first that names a lexicon word wins: [neg][int]word,
        [neg](int+word), and the whole hit as one word (words that begin like a negator or an
        intensifier: 不错, 很好). Words are looked up by hash join in ``words`` (spelling variants
        included); regex entries are tried when the lookup misses.
        """
        s = sql_str
        return f"""
WITH h AS (
  SELECT tid, unnest(regexp_extract_all(text, {s(self.sent_any)})) AS h
  FROM {src} WHERE text IS NOT NULL AND regexp_matches(text, {s(self.sent_any)})),
p AS (SELECT tid, h, regexp_extract(h, {s(self.sent_split)}, ['n', 'i', 'w']) AS sp FROM h),
q AS (SELECT tid, h, sp.n AS n, sp.i AS i, sp.w AS w FROM p),
j AS (
  SELECT q.tid, q.n,
    CASE WHEN q.w <> '' AND (q.n <> '' OR q.i <> '') THEN coalesce(w1.weight, {self._regex_tier_case("q.w")}) END AS wr,
    CASE WHEN q.n <> '' AND q.i <> '' THEN coalesce(w2.weight, {self._regex_tier_case("(q.i || q.w)")}) END AS wiw,
    coalesce(w3.weight, {self._regex_tier_case("q.h")}, 0.0) AS wh,
    coalesce(iw.weight, 1.0) AS it
  FROM q
  LEFT JOIN {words} w1 ON w1.word = lower(q.w)
  LEFT JOIN {words} w2 ON w2.word = lower(q.i || q.w)
  LEFT JOIN {words} w3 ON w3.word = lower(q.h)
  LEFT JOIN {ints} iw ON iw.word = lower(q.i))
SELECT tid, sum(
  CASE WHEN wr IS NOT NULL THEN
         CASE WHEN n = '' THEN wr * it WHEN wr > 0 THEN {NEGATED_POSITIVE} * wr * it ELSE {NEGATED_NEGATIVE} * wr * it END
       WHEN wiw IS NOT NULL THEN CASE WHEN wiw > 0 THEN {NEGATED_POSITIVE} * wiw ELSE {NEGATED_NEGATIVE} * wiw END
       ELSE wh END) AS lex
FROM j GROUP BY tid"""

    # -- the text-level SQL --------------------------------------------------------------------
    def class_case_sql(self) -> str:
        """SQL CASE giving ``cls || SEP || reason`` from columns text, msg_type, core, has_url."""
        s = sql_str
        sep = s(SEP)
        share_types = ", ".join(s(t) for t in SHARE_TYPES)
        filler_types = ", ".join(s(t) for t in FILLER_TYPES)
        notq_core = f"regexp_replace(core, {s(self.notq)}, '', 'g')"
        notc_text = f"regexp_replace(text, {s(self.notcheckin)}, '', 'g')"
        return f"""CASE
  WHEN msg_type = 'system' THEN 'system' || {sep} || 'type:system'
  WHEN text IS NULL THEN CASE
      WHEN msg_type IN ({share_types}) THEN 'share' || {sep} || 'type:' || msg_type
      WHEN msg_type IN ({filler_types}) THEN 'filler' || {sep} || 'type:' || msg_type
      WHEN msg_type IN ('voice', 'vote') THEN 'chat' || {sep} || 'type:' || msg_type
      WHEN msg_type = 'text' THEN 'chat' || {sep} || 'no_text'
      ELSE 'filler' || {sep} || 'type:' || msg_type || ',no_text' END
  WHEN regexp_matches(text, {s(self.spam)}) THEN 'spam' || {sep} || 'spam_cue:' || regexp_extract(text, {s(self.spam)})
  WHEN has_url AND regexp_matches(text, {s(self.promo)}) THEN 'spam' || {sep} || 'promo_link:' || regexp_extract(text, {s(self.promo)})
  WHEN msg_type IN ({filler_types}) THEN 'filler' || {sep} || 'type:' || msg_type
  WHEN msg_type IN ({share_types}) THEN 'share' || {sep} || 'type:' || msg_type
  WHEN msg_type = 'vote' THEN 'chat' || {sep} || 'type:vote'
  WHEN core = '' AND NOT has_url THEN 'filler' || {sep} || 'no_substance'
  WHEN length(core) <= 40 AND regexp_matches(core, {s(self.filler_full)}) THEN 'filler' || {sep} || 'filler:' || core
  WHEN regexp_matches(CASE WHEN has_url THEN regexp_replace(text, {s(URL_RE)}, '', 'g') ELSE text END, {s(QMARK_RE)})
      THEN 'question' || {sep} || 'question_mark'
  WHEN regexp_matches(core, {s(self.qcue)}) AND regexp_matches({notq_core}, {s(self.qcue)})
      THEN 'question' || {sep} || 'question_cue:' || regexp_extract({notq_core}, {s(self.qcue)})
  WHEN regexp_matches(text, {s(self.checkin)}) AND regexp_matches({notc_text}, {s(self.checkin)})
      THEN 'checkin' || {sep} || 'checkin_cue:' || regexp_extract({notc_text}, {s(self.checkin)})
  WHEN has_url THEN 'share' || {sep} || 'url'
  WHEN length(core) >= {int(self.params.share_min_chars)} THEN 'share' || {sep} || 'length>={int(self.params.share_min_chars)}'
  ELSE 'chat' || {sep} || 'chat'
END"""

    def text_stage_sql(self, src: str, lex_table: str, explain: bool = False) -> str:
        """SELECT over ``src(tid, text, msg_type)`` → text-level labels (before the model).

        ``lex_table(tid, lex)`` holds the lexicon scores (:meth:`lex_table_sql`).
        """
        s = sql_str
        hits = (
            f", CASE WHEN text IS NULL THEN [] ELSE regexp_extract_all(text, {s(self.sent_any)}) END AS hits"
            if explain
            else ""
        )
        p = self.params
        return f"""
SELECT tid, split_part(cr, {s(SEP)}, 1) AS cls_t, split_part(cr, {s(SEP)}, 2) AS reason_t,
       CAST(length(core) AS INTEGER) AS chars, lex,
       CASE WHEN length(core) >= {int(p.coord_min_chars)} AND split_part(cr, {s(SEP)}, 1) IN ('chat', 'share', 'question')
            THEN md5_number(core) END AS ckey,
       CASE WHEN text IS NOT NULL AND msg_type <> 'system' THEN md5_number(trim(text, {s(FLOOD_TRIM)})) END AS tk,
       (text IS NOT NULL AND length(core) >= 1
        {"" if p.model_all else "AND split_part(cr, " + s(SEP) + ", 1) IN ('question', 'checkin', 'share', 'chat')"}) AS needs_model
       {hits}
FROM (
  SELECT *, {self.class_case_sql()} AS cr
  FROM (
    SELECT tid, text, msg_type, coalesce(lx.lex, 0.0) AS lex,
           coalesce(regexp_replace(text, {s(STRIP_RE)}, '', 'g'), '') AS core,
           coalesce(contains(text, '://') OR contains(text, 'www.') OR contains(text, 'WWW.'), false) AS has_url
    FROM {src} LEFT JOIN {lex_table} lx USING (tid)
  )
)"""

    @staticmethod
    def sentiment_sql(lex: str = "lex", model: str = "m", cls: str = "cls_t") -> str:
        """SQL producing ``score`` in [-1, 1] from the raw lexicon score and the model score (or NULL).

        Filler and spam are neutral unless plainly negative (lex ≤ −PLAIN_LEX); in questions a
        positive word is mostly what is asked about ("哪个牌子好用"), so positive lexicon scores count
        QUESTION_POSITIVE of their weight there.
        """
        lx = f"(CASE WHEN {cls} = 'question' AND {lex} > 0 THEN {QUESTION_POSITIVE} * {lex} ELSE {lex} END)"
        lex_s = f"({lx} / (1.0 + abs({lx})))"
        return f"""CASE
  WHEN {cls} = 'system' THEN 0.0
  WHEN {cls} IN ('filler', 'spam') THEN CASE WHEN {lex} <= -{PLAIN_LEX} THEN {lex} / (1.0 + abs({lex})) ELSE 0.0 END
  WHEN {model} IS NULL THEN {lex_s}
  WHEN {lx} = 0 THEN {MODEL_ONLY_WEIGHT} * {model}
  ELSE {LEX_WEIGHT} * {lex_s} + {1 - LEX_WEIGHT:.4f} * {model}
END"""

    @staticmethod
    def polarity_sql(lex: str = "lex", model: str = "m") -> str:
        """Binary polarity score (≥ 0 positive) for review-style benchmarks: no class rules, no neutral band."""
        lex_s = f"({lex} / (1.0 + abs({lex})))"
        return (
            f"CASE WHEN {model} IS NULL THEN {lex_s} WHEN {lex} = 0 THEN {model} "
            f"ELSE {POLARITY_LEX_WEIGHT} * {lex_s} + {1 - POLARITY_LEX_WEIGHT:.4f} * {model} END"
        )

    @staticmethod
    def sentiment_label_sql(score: str = "score") -> str:
        return (
            f"CASE WHEN {score} >= {POS_THRESHOLD} THEN 'positive' "
            f"WHEN {score} <= -{NEG_THRESHOLD} THEN 'negative' ELSE 'neutral' END"
        )

    def model(self) -> Any:
        """The sentiment model in use: the local transformer if configured, else the shipped n-gram model."""
        if self.params.transformer_dir:
            from qunkpi.classify.transformer import load_transformer

            return load_transformer(str(self.params.transformer_dir))
        from qunkpi.classify.model import shipped_model

        return shipped_model()

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(RULES_VERSION.encode())
        h.update(self.lex.digest.encode())
        h.update(json.dumps(asdict(self.params), sort_keys=True).encode())
        h.update(
            f"{LEX_WEIGHT},{MODEL_ONLY_WEIGHT},{POS_THRESHOLD},{NEG_THRESHOLD},{PLAIN_LEX},{QUESTION_POSITIVE}".encode()
        )
        if self.params.use_model:
            h.update(json.dumps(self.model().meta, sort_keys=True).encode())
        return h.hexdigest()[:16]


@functools.cache
def spelling_variants(word: str) -> frozenset[str]:
    """A normalised lexicon word and the spellings a hit may have: traditional (OpenCC), full-width."""
    out = {word}
    for conv in _converters():
        out.add(conv.convert(word).lower())
    if any("!" <= c <= "~" for c in word):
        out.add("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word).lower())
    return frozenset(out)


@functools.cache
def _converters() -> tuple[Any, ...]:
    import opencc

    return tuple(opencc.OpenCC(cfg) for cfg in ("s2t", "s2tw", "s2hk"))


@functools.cache
def default_lexicons() -> Lexicons:
    return load_lexicons(None)


@functools.cache
def _default_rules(use_model: bool, model_all: bool = True) -> Rules:
    return Rules(default_lexicons(), RuleParams(use_model=use_model, model_all=model_all))


def label_text_table(
    con: duckdb.DuckDBPyConnection, rules: Rules, src: str, out: str, explain: bool = False
) -> int:
    """Create temp table ``out`` with the final text-level labels of ``src(tid, text, msg_type)``.

    Columns: tid, cls_t, reason_t, chars, lex, ckey, m (model score or NULL), score, sentiment.
    Returns the number of texts the model scored.
    """
    words, ints = rules.sentiment_tables()
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out}_sw (word VARCHAR, weight DOUBLE)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out}_si (word VARCHAR, weight DOUBLE)")
    con.register("_qk_words_view", pa.table({"word": [w for w, _ in words], "weight": [x for _, x in words]}))
    con.register("_qk_ints_view", pa.table({"word": [w for w, _ in ints], "weight": [x for _, x in ints]}))
    try:
        con.execute(f"INSERT INTO {out}_sw SELECT * FROM _qk_words_view")
        con.execute(f"INSERT INTO {out}_si SELECT * FROM _qk_ints_view")
    finally:
        con.unregister("_qk_words_view")
        con.unregister("_qk_ints_view")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {out}_lex AS {rules.lex_table_sql(src, out + '_sw', out + '_si')}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {out}_pre AS {rules.text_stage_sql(src, out + '_lex', explain)}"
    )
    for t in ("_sw", "_si", "_lex"):
        con.execute(f"DROP TABLE IF EXISTS {out}{t}")
    scored = 0
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {out}_m AS SELECT tid, CAST(NULL AS DOUBLE) AS m FROM {src} LIMIT 0"
    )
    if rules.params.use_model:
        model = rules.model()
        # a small integer per text for the round trip through Arrow (the text keys are 128-bit)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {out}_need AS SELECT (row_number() OVER ()) - 1 AS rn, p.tid, s.text "
            f"FROM {out}_pre p JOIN {src} s USING (tid) WHERE p.needs_model"
        )
        res = con.execute(f"SELECT rn, text FROM {out}_need ORDER BY rn")
        rel = res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()
        if rel.num_rows:
            scores = model.score(rel.column("text"))
            _qk_model_scores = pa.table({"rn": rel.column("rn"), "m": pa.array(scores, type=pa.float64())})
            con.register("_qk_model_scores_view", _qk_model_scores)
            try:
                con.execute(
                    f"INSERT INTO {out}_m SELECT n.tid, v.m FROM _qk_model_scores_view v JOIN {out}_need n USING (rn)"
                )
            finally:
                con.unregister("_qk_model_scores_view")
            scored = rel.num_rows
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT *, {Rules.sentiment_label_sql("score")} AS sentiment FROM (
          SELECT p.* EXCLUDE (needs_model), mm.m, {Rules.sentiment_sql("p.lex", "mm.m", "p.cls_t")} AS score,
                 {Rules.polarity_sql("p.lex", "mm.m")} AS polarity_score
          FROM {out}_pre p LEFT JOIN {out}_m mm USING (tid))"""
    )
    for t in ("_pre", "_m", "_need"):
        con.execute(f"DROP TABLE IF EXISTS {out}{t}")
    return scored


# -- the single-text / batch path ---------------------------------------------------------------


def classify_texts(
    texts: Sequence[str | None],
    msg_types: Sequence[str] | None = None,
    *,
    lexicons: Lexicons | None = None,
    rules: Rules | None = None,
    use_model: bool = True,
    redact_first: bool = True,
    model_all: bool = True,
) -> list[Label]:
    """Classify texts as members' messages with no context (no staff, reply or flooding)."""
    from qunkpi.classify.pii import redact_array

    if rules is None:
        params = RuleParams(use_model=use_model, model_all=model_all)
        rules = Rules(lexicons, params) if lexicons is not None else _default_rules(use_model, model_all)
    n = len(texts)
    types = list(msg_types) if msg_types is not None else ["text"] * n
    arr = pa.array(list(texts), type=pa.string())
    if redact_first:
        arr = redact_array(arr)
    tbl = pa.table(
        {
            "tid": pa.array(np.arange(n, dtype=np.uint64)),
            "text": arr,
            "msg_type": pa.array(types, type=pa.string()),
        }
    )
    con = duckdb.connect()
    try:
        con.register("_qk_src_view", tbl)
        con.execute("CREATE TEMP TABLE _qk_src AS SELECT * FROM _qk_src_view")
        label_text_table(con, rules, "_qk_src", "_qk_tl", explain=True)
        rows = con.execute(
            "SELECT t.tid, t.cls_t, t.reason_t, t.sentiment, t.score, t.chars, s.text, t.hits, t.m, t.polarity_score "
            "FROM _qk_tl t JOIN _qk_src s USING (tid) ORDER BY t.tid"
        ).fetchall()
    finally:
        con.close()
    return [
        Label(
            cls=r[1],
            reason=r[2],
            sentiment=r[3],
            sentiment_score=round(float(r[4]), 4),
            chars=int(r[5]),
            text=r[6],
            sentiment_hits=tuple(r[7] or ()),
            model_score=None if r[8] is None else round(float(r[8]), 4),
            polarity="positive" if float(r[9]) >= 0 else "negative",
            polarity_score=round(float(r[9]), 4),
        )
        for r in rows
    ]


def classify_text(
    text: str, msg_type: str = "text", *, lexicons: Lexicons | None = None, use_model: bool = True
) -> Label:
    """How one text is classified, as a member's message with no reply context (same SQL as the engine)."""
    return classify_texts([text], [msg_type], lexicons=lexicons, use_model=use_model)[0]


def lexicons_for(path: Path | None) -> Lexicons:
    return load_lexicons(path) if path is not None else default_lexicons()
