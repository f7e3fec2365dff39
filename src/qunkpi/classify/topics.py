"""Topics per community and period: top keywords, their trend, and which topics precede purchases.

Method (``topic_table``):

1. Discovery: the effective member messages with text in the period (``message_labels``; staff,
   filler, spam and system excluded), at most ``sample`` per community (a stable hash sample), are
   segmented with jieba plus the domain dictionary (lexicon ``topic_dict``, extendable from the
   workspace). Words of ≥ 2 characters that are not stop words (lexicon ``stopwords``), numbers or
   PII placeholders are ranked by TF-IDF: the number of messages containing the word × its IDF
   (jieba's IDF table; words it does not know get the table's median). The sample is counted by
   text first and each distinct text is segmented once per run (chat repeats itself; the medium
   demo has ≈ 25k distinct texts among 4.7M), which gives the same counts as segmenting every message.
2. Exact counts in SQL for the candidates over all messages of the period and of the previous
   window of equal length: ``messages``, ``members`` (distinct senders), ``trend`` = (messages −
   previous) / previous (null when the previous window had none).
3. Conversion: ``buyers_7d_share`` = share of the topic's participants with an order attributed to
   the community paid within 7 days (≤ 7 × 24 h) after one of their messages on the topic;
   ``base_rate`` = the same share over all members with an effective message in the period;
   ``lift`` = buyers_7d_share / base_rate (null when the base rate is 0). Topics with lift > 1 are
   the "high-conversion topics".
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from qunkpi.classify.lexicons import Lexicons, load_lexicons, workspace_lexicon_dir

COLUMNS = ["community_id", "topic", "messages", "members", "trend", "buyers_7d_share", "base_rate", "lift"]
_NOT_TOPIC = re.compile(r"^[\d\W_]+$|^[a-z]$", re.IGNORECASE)
_PLACEHOLDERS = {"手机号", "身份证号", "银行卡号", "邮箱", "微信号"}


@functools.cache
def _idf() -> tuple[dict[str, float], float]:
    import os

    import jieba

    path = os.path.join(os.path.dirname(str(jieba.__file__)), "analyse", "idf.txt")
    table: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                table[parts[0]] = float(parts[1])
    values = sorted(table.values())
    return table, values[len(values) // 2]


_TOKENIZERS: dict[str, Any] = {}


def _tokenizer(lex: Lexicons) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    key = lex.digest
    tok = _TOKENIZERS.get(key)
    if tok is None:
        tok = jieba.Tokenizer()
        tok.initialize()
        for w in lex.words("topic_dict"):
            tok.add_word(w.split()[0])
        _TOKENIZERS.clear()
        _TOKENIZERS[key] = tok
    return tok


def _candidate_words(text: str, tok: Any, stop: set[str]) -> frozenset[str]:
    """The distinct words of one text that may be topics (≥ 2 characters, not a stop word, number or placeholder)."""
    words = {w.strip().lower() for w in tok.lcut(text, HMM=False)}
    return frozenset(w for w in words if len(w) >= 2 and w not in stop and not _NOT_TOPIC.match(w))


class KeywordExtractor:
    """TF-IDF keywords of sets of short texts, segmenting each distinct text once.

    Chat repeats itself (the same greeting, question or sticker text thousands of times), so the texts are counted
    first and every distinct text is segmented once; the words of a text are remembered for the extractor's life,
    so a run over many communities segments a text that recurs in several of them only once."""

    def __init__(self, lex: Lexicons) -> None:
        self.tok = _tokenizer(lex)
        self.stop = set(lex.words("stopwords")) | _PLACEHOLDERS
        self._words: dict[str, frozenset[str]] = {}

    def words(self, text: str) -> frozenset[str]:
        got = self._words.get(text)
        if got is None:
            got = self._words[text] = _candidate_words(text, self.tok, self.stop)
        return got

    def keywords(self, counts: Mapping[str, int], top: int = 60) -> list[tuple[str, float, float]]:
        """``counts``: text → how many messages have that text. Returns (word, document frequency × IDF, IDF),
        best first — the same as :func:`extract_keywords` on the list with every text repeated ``count`` times."""
        df: Counter[str] = Counter()
        for text, n in counts.items():
            for w in self.words(text):
                df[w] += n
        idf, median = _idf()
        scored = [(w, n * idf.get(w, median), idf.get(w, median)) for w, n in df.items() if n >= 2]
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:top]


def extract_keywords(texts: list[str], lex: Lexicons, top: int = 60) -> list[tuple[str, float, float]]:
    """TF-IDF keywords of a set of short texts: (word, document frequency × IDF, IDF).

    The document frequency of a word is the number of texts containing it (a repeated text counts each time)."""
    return KeywordExtractor(lex).keywords(Counter(texts), top)


def topic_table(
    ws: Any,
    start: datetime,
    end: datetime,
    community_id: str | None = None,
    top: int = 20,
    *,
    sample: int = 20_000,
) -> pd.DataFrame:
    """Top topics per community in [start, end) with trend and conversion (see the module doc)."""
    from qunkpi.classify.engine import LABELS_TABLE, classify_workspace, ensure_labels_table

    con = ws.con
    if not ws.read_only:
        ensure_labels_table(con)
        if not ws.has_rows(LABELS_TABLE) and ws.has_rows("messages"):
            classify_workspace(ws)
    lex = load_lexicons(workspace_lexicon_dir(ws))
    prev_start = start - (end - start)
    where_c = "AND m.community_id = ?" if community_id else ""
    params: list[Any] = [prev_start, end] + ([community_id] if community_id else [])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _qk_topic_msgs AS
        SELECT m.message_id, m.community_id, m.sender_id, m.sent_at, lower(m.text) AS text
        FROM messages m JOIN {LABELS_TABLE} l USING (message_id)
        WHERE l.is_effective AND m.text IS NOT NULL AND m.sent_at >= ? AND m.sent_at < ? {where_c}""",
        params,
    )
    # the sample's texts with their counts: each distinct text is segmented once (KeywordExtractor)
    cur = con.execute(
        """SELECT community_id, text, count(*) AS n FROM (
             SELECT community_id, text, row_number() OVER (PARTITION BY community_id ORDER BY hash(message_id)) AS rn
             FROM _qk_topic_msgs WHERE sent_at >= ?) WHERE rn <= ? GROUP BY community_id, text""",
        [start, sample],
    ).fetchall()
    by_comm: dict[str, dict[str, int]] = {}
    for cid, text, n in cur:
        by_comm.setdefault(cid, {})[text] = int(n)
    extractor = KeywordExtractor(lex)
    cand: list[tuple[str, str, float]] = []
    for cid, counts in by_comm.items():
        for w, _score, idf in extractor.keywords(counts, top=max(3 * top, top + 10)):
            cand.append((cid, w, idf))
    if not cand:
        con.execute("DROP TABLE IF EXISTS _qk_topic_msgs")
        return pd.DataFrame(columns=COLUMNS)
    cand_df = pd.DataFrame(cand, columns=["community_id", "topic", "score"]).astype(
        {"community_id": str, "topic": str, "score": "float64"}
    )
    con.register("_qk_topic_cand_df", cand_df)  # one bulk insert (executemany costs ~0.2 ms a row)
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _qk_topic_cand AS
               SELECT CAST(community_id AS VARCHAR) AS community_id, CAST(topic AS VARCHAR) AS topic,
                      CAST(score AS DOUBLE) AS score
               FROM _qk_topic_cand_df"""
        )
    finally:
        con.unregister("_qk_topic_cand_df")
    df = con.execute(
        """WITH texts AS (SELECT DISTINCT text FROM _qk_topic_msgs),
           words AS (SELECT DISTINCT topic FROM _qk_topic_cand),
           -- which distinct text contains which candidate: the substring test runs once per text, not per message
           matched AS (SELECT t.text, w.topic FROM texts t JOIN words w ON contains(t.text, w.topic)),
           hits AS (
             SELECT c.community_id, c.topic, c.score, m.message_id, m.sender_id, m.sent_at, m.sent_at >= ? AS cur
             FROM _qk_topic_cand c JOIN matched x ON x.topic = c.topic
             JOIN _qk_topic_msgs m ON m.community_id = c.community_id AND m.text = x.text),
           counts AS (
             SELECT community_id, topic, any_value(score) AS score,
                    count(*) FILTER (WHERE cur) AS messages,
                    count(DISTINCT sender_id) FILTER (WHERE cur) AS members,
                    count(*) FILTER (WHERE NOT cur) AS prev_messages
             FROM hits GROUP BY ALL),
           conv AS (
             SELECT h.community_id, h.topic, count(DISTINCT h.sender_id) AS buyers
             FROM hits h JOIN orders o ON o.customer_id = h.sender_id AND o.community_id = h.community_id
               AND o.paid_at > h.sent_at AND o.paid_at <= h.sent_at + INTERVAL 7 DAY
             WHERE h.cur GROUP BY ALL),
           act AS (
             SELECT community_id, count(DISTINCT sender_id) AS active FROM _qk_topic_msgs WHERE sent_at >= ? GROUP BY ALL),
           base AS (
             SELECT m.community_id, count(DISTINCT m.sender_id) AS buyers
             FROM _qk_topic_msgs m JOIN orders o ON o.customer_id = m.sender_id AND o.community_id = m.community_id
               AND o.paid_at > m.sent_at AND o.paid_at <= m.sent_at + INTERVAL 7 DAY
             WHERE m.sent_at >= ? GROUP BY ALL)
         SELECT c.community_id, c.topic, c.score, c.messages, c.members, c.prev_messages,
                coalesce(v.buyers, 0) AS buyers, a.active, coalesce(b.buyers, 0) AS base_buyers
         FROM counts c LEFT JOIN conv v USING (community_id, topic) LEFT JOIN act a USING (community_id)
         LEFT JOIN base b USING (community_id)
         WHERE c.messages > 0""",
        [start, start, start],
    ).df()
    con.execute("DROP TABLE IF EXISTS _qk_topic_msgs")
    con.execute("DROP TABLE IF EXISTS _qk_topic_cand")
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    df["trend"] = [
        (m - p) / p if p else None for m, p in zip(df["messages"], df["prev_messages"], strict=True)
    ]
    df["buyers_7d_share"] = [b / n if n else None for b, n in zip(df["buyers"], df["members"], strict=True)]
    df["base_rate"] = [b / a if a else None for b, a in zip(df["base_buyers"], df["active"], strict=True)]
    df["lift"] = [
        (s / r) if (s is not None and r) else None
        for s, r in zip(df["buyers_7d_share"], df["base_rate"], strict=True)
    ]
    df["rank_score"] = df["messages"] * df["score"]  # TF-IDF on the exact counts (score = IDF)
    df = df.sort_values(["community_id", "rank_score", "topic"], ascending=[True, False, True])
    df = df.groupby("community_id", sort=True).head(top).reset_index(drop=True)
    out = df[COLUMNS].copy()
    for col in ("messages", "members"):
        out[col] = out[col].astype("int64")
    return out
