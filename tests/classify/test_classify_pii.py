"""PII redaction: phones, ID cards (checksum), bank cards (Luhn), e-mails, WeChat ids; near misses survive."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qunkpi.classify.pii import (
    BANK_CARD,
    EMAIL,
    ID_CARD,
    PHONE,
    WECHAT,
    id_checksum_ok,
    luhn_ok,
    redact,
    redact_array,
)


def make_id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


def make_luhn(prefix: str) -> str:
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


VALID_ID = make_id("11010519491231002")
VALID_ID_X = next(
    make_id(f"1101011990030712{i}") for i in range(10) if make_id(f"1101011990030712{i}").endswith("X")
)
CARD16 = make_luhn("622202123456789")
CARD19 = make_luhn("621700243001234567")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("我电话13812345678，到了打我", f"我电话{PHONE}，到了打我"),
        ("+86 138-1234-5678 找我", f"{PHONE} 找我"),
        ("+86-13812345678", PHONE),
        ("8613812345678", PHONE),
        ("手机 138 1234 5678", f"手机 {PHONE}"),
        ("１３８１２３４５６７８", PHONE),
        (f"身份证{VALID_ID}", f"身份证{ID_CARD}"),
        (f"身份证号 {VALID_ID_X}", f"身份证号 {ID_CARD}"),
        (f"卡号{CARD16}", f"卡号{BANK_CARD}"),
        (f"卡号 {CARD16[:4]} {CARD16[4:8]} {CARD16[8:12]} {CARD16[12:]}", f"卡号 {BANK_CARD}"),
        (f"{CARD19}", BANK_CARD),
        ("邮箱 zhang.san@example.com 谢谢", f"邮箱 {EMAIL} 谢谢"),
        ("发到123456@qq.com", f"发到{EMAIL}"),
        ("加微 abc_12345", f"加微 {WECHAT}"),
        ("vx：Zhang_san88 私聊", f"vx：{WECHAT} 私聊"),
        ("微信号是 wxid_k2j3h4", f"微信号是 {WECHAT}"),
        ("加v: Amy2024 领券", f"加v: {WECHAT} 领券"),
    ],
)
def test_redacts(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号：13812345678",  # order-number cue before it
        "快递单号 13812345678 到哪了",
        "订单号13812345678901",  # 14 digits: not a phone, not Luhn-valid
        "1381234567",  # 10 digits
        "110101199003071234",  # 18 digits, bad ID check digit (and not Luhn)
        "今天跑了5公里，用时31分",
        "2024-03-15 14:30 见",
        "价格 12999 元",
        "微信支付成功",
        "加微信了解详情",
        "第12345678901234567890期",  # 20 digits
    ],
)
def test_near_misses_survive(text: str) -> None:
    if "110101199003071234" in text:
        assert not id_checksum_ok("110101199003071234")
        assert not luhn_ok("110101199003071234")
    assert redact(text) == text


def test_checksums() -> None:
    assert id_checksum_ok(VALID_ID)
    assert id_checksum_ok(VALID_ID_X.lower())
    assert not id_checksum_ok(VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"))
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")


def test_redact_array_matches_redact_and_keeps_nulls() -> None:
    values = [
        "收到",
        None,
        "我电话13812345678",
        "订单号13812345678",
        f"卡{CARD16}",
        "vx abc12345",
        "",
        "邮箱a@b.cn",
    ]
    out = redact_array(pa.chunked_array([pa.array(values[:4]), pa.array(values[4:])]))
    assert isinstance(out, pa.Array)
    assert out.to_pylist() == [None if v is None else redact(v) for v in values]
    big = pa.array(values * 40_000)
    assert (
        redact_array(big, threads=2).to_pylist()
        == [None if v is None else redact(v) for v in values] * 40_000
    )
    # mostly distinct texts (the sample does not repeat): the row-by-row prefilter path
    distinct = [
        None if v is None else f"{i % 7}号 {v}" if i % 2 else f"{v}，第{i}条"
        for i, v in enumerate(values * 26_000)
    ]
    assert redact_array(pa.array(distinct)).to_pylist() == [
        None if v is None else redact(v) for v in distinct
    ]


def test_idempotent() -> None:
    for t in ["我电话13812345678", "加微 abc_12345", f"身份证{VALID_ID}", "a@b.com"]:
        once = redact(t)
        assert redact(once) == once


_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_sep = st.sampled_from(["", " ", "-"])
_filler = st.text(alphabet="收到好的谢谢，。！ abc", max_size=8)


@st.composite
def phone_texts(draw: st.DrawFn) -> tuple[str, str]:
    digits = (
        "1"
        + draw(st.sampled_from("3456789"))
        + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    )
    s1, s2 = draw(_sep), draw(_sep)
    number = digits[:3] + s1 + digits[3:7] + s2 + digits[7:]
    prefix = draw(st.sampled_from(["", "+86 ", "+86-", "86", "0086 "]))
    before = draw(st.sampled_from(["", "电话", "手机：", "联系我", "打", "tel "]))
    return before + prefix + number + draw(_filler), digits


@settings(max_examples=300, deadline=None)
@given(phone_texts(), _filler)
def test_no_mobile_number_survives(case: tuple[str, str], lead: str) -> None:
    text, digits = case
    out = redact(lead + text)
    assert digits not in re.sub(r"[ \-]", "", out)
    assert not _MOBILE.search(re.sub(r"(?<=\d)[ \-](?=\d)", "", out))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_redaction_never_crashes_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
