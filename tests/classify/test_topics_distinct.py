"""Topic keywords segment each distinct text once (KeywordExtractor) and still count every message.

The reference below is the former implementation (segment every text of the list, one Counter update per text);
the counted one must give the same words, scores and IDFs, also when one extractor serves several communities.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from qunkpi.classify.lexicons import Lexicons, load_lexicons
from qunkpi.classify.topics import (
    _NOT_TOPIC,
    _PLACEHOLDERS,
    KeywordExtractor,
    _idf,
    _tokenizer,
    extract_keywords,
    topic_table,
)
from qunkpi.workspace import Workspace


def _reference(texts: list[str], lex: Lexicons, top: int = 60) -> list[tuple[str, float, float]]:
    """The implementation before distinct-text counting, verbatim."""
    tok = _tokenizer(lex)
    stop = set(lex.words("stopwords")) | _PLACEHOLDERS
    df: Counter[str] = Counter()
    for t in texts:
        words = {w.strip().lower() for w in tok.lcut(t, HMM=False)}
        df.update(w for w in words if len(w) >= 2 and w not in stop and not _NOT_TOPIC.match(w))
    idf, median = _idf()
    scored = [(w, n * idf.get(w, median), idf.get(w, median)) for w, n in df.items() if n >= 2]
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored[:top]


PHRASES = [
    "宝宝奶粉喝不完",
    "奶粉涨价了",
    "哪家奶粉好",
    "收到",
    "物流太慢了，什么时候发货",
    "退款怎么申请",
    "今天天气真热，带娃出门要防晒",
    "这款面霜适合干皮吗",
    "面霜已经用完了，回购",
    "打卡第3天",
    "好的好的",
    "防晒霜推荐一下",
    "快递到了，包装很好",
    "优惠券在哪里领",
    "12345",
]


def test_by_hand() -> None:
    lex = load_lexicons(None)
    idf, _ = _idf()
    # 奶粉 in 3 texts, 物流 in 5 (twice in one text: counts once), 退款 in 3; 发货 in 1 text only: dropped (< 2)
    texts = ["奶粉 物流"] * 3 + ["物流 退款，物流"] * 2 + ["退款"] + ["发货"]
    got = {w: (s, i) for w, s, i in extract_keywords(texts, lex)}
    assert set(got) == {"奶粉", "物流", "退款"}
    assert got["物流"] == (5 * idf["物流"], idf["物流"])
    assert got["奶粉"] == (3 * idf["奶粉"], idf["奶粉"])
    assert got["退款"] == (3 * idf["退款"], idf["退款"])
    counted = KeywordExtractor(lex).keywords({"奶粉 物流": 3, "物流 退款，物流": 2, "退款": 1, "发货": 1})
    assert counted == extract_keywords(texts, lex)


def test_counted_equals_the_former_implementation() -> None:
    lex = load_lexicons(None)
    rng = random.Random(3)
    shared = KeywordExtractor(lex)  # one extractor for every "community", as topic_table uses it
    for n in (1, 5, 40, 400):
        texts = [rng.choice(PHRASES) + rng.choice(["", "", "！", "吗", str(rng.randint(1, 3))]) for _ in range(n)]
        ref = _reference(texts, lex, top=25)
        assert extract_keywords(texts, lex, top=25) == ref
        assert shared.keywords(Counter(texts), top=25) == ref
        assert KeywordExtractor(lex).keywords(Counter(texts), top=25) == ref


T0 = datetime(2025, 6, 1, 10, 0)


def test_topic_table_same_per_community_and_together(tmp_path: Path) -> None:
    """Two communities with the same texts: the run over both gives each the rows of its own run."""
    ws = Workspace.init(tmp_path / "ws")
    con = ws.con
    for cid in ("c1", "c2"):
        con.execute(
            "INSERT INTO communities VALUES (?, ?, 'wecom_group', 'sales', ?, NULL, NULL, true, NULL)",
            [cid, cid, T0 - timedelta(days=300)],
        )
    rng = random.Random(5)
    k = 0
    for cid, n in (("c1", 60), ("c2", 25)):
        for i in range(n):
            text = rng.choice(PHRASES)
            con.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, 'text', ?, NULL, false, NULL)",
                [f"m{k}", cid, f"u{i % 9}", T0 + timedelta(hours=3 * i), text],
            )
            k += 1
    try:
        both = topic_table(ws, T0, T0 + timedelta(days=30), top=10)
        assert set(both.community_id) == {"c1", "c2"}
        for cid in ("c1", "c2"):
            one = topic_table(ws, T0, T0 + timedelta(days=30), community_id=cid, top=10)
            mine = both[both.community_id == cid].reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, one.reset_index(drop=True))
        c1 = both[both.community_id == "c1"]
        assert (c1.messages >= 1).all() and len(c1) >= 3
    finally:
        ws.close()


@pytest.mark.parametrize("top", [1, 3])
def test_top_cuts_the_same(top: int) -> None:
    lex = load_lexicons(None)
    texts = PHRASES * 3 + PHRASES[:5]
    assert KeywordExtractor(lex).keywords(Counter(texts), top=top) == _reference(texts, lex, top=top)
