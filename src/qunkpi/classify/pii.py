"""PII redaction before storage (SPEC §9): typed Chinese placeholders.

=============  ==========================================================================
[手机号]        mainland mobile numbers: 1[3-9] + 9 digits, optionally +86/0086/86 in front,
               with spaces or dashes between digits (``+86 138-1234-5678``); an 11-digit run
               inside a longer digit run is not a phone
[身份证号]      18-character resident ID numbers with a valid date and ISO 7064 check digit
[银行卡号]      16–19 digit card numbers (spaces/dashes between groups allowed) passing Luhn
[邮箱]          e-mail addresses
[微信号]        WeChat ids (6–20 characters, starting with a letter) after 加微/vx/wx/微信号…
=============  ==========================================================================

Numbers that merely look like phones survive where one can tell: an order/tracking/member-number
cue (订单号, 单号, 快递, 运单, 编号, 工号 …) right before the number in the same clause, or a
wrong length (10 or 12+ digits that are neither an ID nor a Luhn-valid card).

:func:`redact_array` is vectorised: an RE2 prefilter over the whole Arrow array (pyarrow
compute, in parallel chunks) finds the few rows that can hold PII; only those go through the
Python rules. Redaction is idempotent.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PHONE = "[手机号]"
ID_CARD = "[身份证号]"
BANK_CARD = "[银行卡号]"
EMAIL = "[邮箱]"
WECHAT = "[微信号]"
PLACEHOLDERS = (PHONE, ID_CARD, BANK_CARD, EMAIL, WECHAT)

# Full-width digits/letters/@ fold to ASCII for detection (1:1, so spans line up with the original).
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20

_D = "[0-9０-９]"
# RE2 prefilter (pyarrow): a row is a candidate when it has 11 digits with at most single
# separators between them, an @, or a WeChat cue.
PREFILTER = (
    f"{_D}(?:[ \\-]?{_D}){{10}}|[@＠]|(?i:加微|加v|vx|wx|v信|微信|weixin|wechat|威信|薇信|徽信|卫星号|vx号)"
)

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_WECHAT_RE = re.compile(
    r"(?i)((?:加微信?|加v|加我v|加个v|vx|wx|v信|微信号?|weixin|wechat|威信|薇信|徽信|卫星号?)(?:号)?"
    r"\s*[:：]?\s*(?:是|为)?\s*[:：]?\s*)"
    r"([a-z][a-z0-9_\-]{5,19})(?![a-z0-9_\-])"
)
_ID_RE = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})\s?((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))\s?([0-9]{3}[0-9Xx])(?![0-9A-Za-z])"
)
_CARD_RE = re.compile(r"(?<![0-9])[1-9][0-9]{3}(?:[ \-]?[0-9]){12,15}(?![0-9])")
_PHONE_RE = re.compile(r"(?<![0-9+])(?:(?:\+|00)?86[ \-]?)?(1[3-9][0-9](?:[ \-]?[0-9]){8})(?![0-9])")

_ORDER_CUE = re.compile(
    r"(?:订单|单号|运单|快递|物流|编号|工号|货号|批次|流水|取件码|券码|兑换码|会员号|会员卡号|卡号尾|追踪号|tracking|order|no\.?)",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(r"(?:手机|电话|联系|号码|tel|phone|mobile|call|微信|加我|打给)", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-character resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _order_context(folded: str, start: int) -> bool:
    """An order/tracking-number cue closer before ``start`` (same clause) than any phone cue."""
    lo = max(0, start - 12)
    window = folded[lo:start]
    ends = list(_CLAUSE_END.finditer(window))
    if ends:
        window = window[ends[-1].end() :]
    order = [m.end() for m in _ORDER_CUE.finditer(window)]
    if not order:
        return False
    phone = [m.end() for m in _PHONE_CUE.finditer(window)]
    return not phone or max(order) > max(phone)


def redact(text: str) -> str:
    """Redact one string (see the module doc for what is redacted)."""
    if not text:
        return text
    folded = text.translate(_FOLD)
    spans: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in spans)

    for m in _EMAIL_RE.finditer(folded):
        spans.append((m.start(), m.end(), EMAIL))
    for m in _WECHAT_RE.finditer(folded):
        a, b = m.start(2), m.end(2)
        if free(a, b):
            spans.append((a, b, WECHAT))
    for m in _ID_RE.finditer(folded):
        number = m.group(1) + m.group(2) + m.group(3)
        if id_checksum_ok(number) and free(m.start(), m.end()):
            spans.append((m.start(), m.end(), ID_CARD))
    for m in _CARD_RE.finditer(folded):
        digits = re.sub(r"[ \-]", "", m.group(0))
        if (
            16 <= len(digits) <= 19
            and luhn_ok(digits)
            and free(m.start(), m.end())
            and not _order_context(folded, m.start())
        ):
            spans.append((m.start(), m.end(), BANK_CARD))
    for m in _PHONE_RE.finditer(folded):
        if free(m.start(), m.end()) and not _order_context(folded, m.start()):
            spans.append((m.start(), m.end(), PHONE))
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for a, b, tag in spans:
        out.append(text[pos:a])
        out.append(tag)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _candidates(chunk: pa.Array) -> pa.Array:
    return pc.match_substring_regex(chunk, PREFILTER)


REPEAT_SAMPLE = 50_000  # rows sampled to tell whether the texts repeat (then distinct texts are prefiltered)
REPEAT_SHARE = 0.3  # at most this share of distinct texts in the sample: prefilter the distinct texts only


def candidate_mask(values: pa.Array, threads: int = 2, chunk_rows: int = 250_000) -> pa.Array:
    """Vectorised prefilter (RE2 via pyarrow compute): True where a row may hold PII.

    When the texts repeat (group chat: fillers, templates, forwarded notices), the regex runs once per
    distinct text (dictionary encoding is cheaper than the regex); otherwise over every row, in chunks.
    """
    n = len(values)
    if n > 4 * REPEAT_SAMPLE:
        sample = values.slice(0, REPEAT_SAMPLE)
        if len(pc.unique(sample)) <= REPEAT_SHARE * REPEAT_SAMPLE:
            enc = pc.dictionary_encode(values)
            return pc.take(_candidates(enc.dictionary), enc.indices)
    if n <= chunk_rows or threads <= 1:
        return _candidates(values)
    chunks = [values.slice(i, chunk_rows) for i in range(0, n, chunk_rows)]
    with ThreadPoolExecutor(max_workers=threads) as ex:
        parts = list(ex.map(_candidates, chunks))
    return pa.concat_arrays(parts)


def redact_array(values: pa.Array | pa.ChunkedArray, threads: int = 2) -> pa.Array:
    """Redact a string column (nulls stay null). Returns a plain ``pa.Array`` of the same type."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], type=values.type)
    if len(values) == 0:
        return values
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string())
    mask = candidate_mask(values, threads=threads)
    mask = pc.fill_null(mask, False)
    idx = pc.indices_nonzero(mask)
    if len(idx) == 0:
        return values
    cand = pc.take(values, idx).to_pylist()
    changed_idx: list[int] = []
    changed: list[str] = []
    seen: dict[str, str] = {}  # chat repeats itself (templates, forwarded notices): each distinct text once
    for i, s in zip(idx.to_pylist(), cand, strict=True):
        r = seen.get(s)
        if r is None:
            r = seen[s] = redact(s)
        if r != s:
            changed_idx.append(i)
            changed.append(r)
    if not changed_idx:
        return values
    bmask = np.zeros(len(values), dtype=bool)
    bmask[np.asarray(changed_idx, dtype=np.int64)] = True
    return pc.replace_with_mask(values, pa.array(bmask), pa.array(changed, type=values.type))


def contains_pii(text: str) -> bool:
    return redact(text) != text
