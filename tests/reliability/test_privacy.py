"""Data protection (SPEC §9): PII redaction on a corpus of variants and near-misses, and the pseudonymisation key
and raw person ids never leaving the workspace (not in the database, exports, logs, reports or CLI output)."""

from __future__ import annotations

import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from relhelp import PY, REPO, count, fuzz_settings

from qunkpi.classify.pii import BANK_CARD, EMAIL, ID_CARD, PHONE, redact

# -- generators of real-looking PII -------------------------------------------------------------------------------


def id_check(first17: str) -> str:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(a) * b for a, b in zip(first17, w, strict=True)) % 11]


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


phones = st.builds(lambda p, rest: f"1{p}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1))
id_cards = st.builds(
    lambda area, d, seq: (lambda s: s + id_check(s))(f"{area}{d:%Y%m%d}{seq:03d}"),
    st.integers(110000, 659999).map(str),
    st.dates(
        min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)
    ),
    st.integers(0, 999),
)
cards = st.builds(
    lambda prefix, n, body: (lambda b: b + luhn_digit(b))((prefix + body)[: n - 1]),
    st.sampled_from(["62", "4", "51", "35"]),
    st.integers(16, 19),
    st.integers(10**17, 10**18 - 1).map(str),
)
emails = st.builds(
    lambda user, dom, tld: f"{user}@{dom}.{tld}",
    st.from_regex(r"\A[a-z][a-z0-9._]{0,12}[a-z0-9]\Z"),
    st.from_regex(r"\A[a-z0-9]{2,10}\Z"),
    st.sampled_from(["com", "cn", "com.cn", "net", "org", "edu.cn"]),
)
around = st.sampled_from(["", "我的", "联系", "请发到 ", "电话：", "卡号", "身份证 ", "邮箱:", "（", "，"])
after = st.sampled_from(["", "，谢谢", " 谢谢", "。", "）", "!", " 明天联系"])


def spaced_phone(p: str, style: int) -> str:
    return [
        p,
        f"{p[:3]} {p[3:7]} {p[7:]}",
        f"{p[:3]}-{p[3:7]}-{p[7:]}",
        f"+86 {p}",
        f"+86-{p[:3]}-{p[3:7]}-{p[7:]}",
        f"0086{p}",
        p.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ][style]


def spaced_card(c: str, style: int) -> str:
    return [
        c,
        " ".join(c[i : i + 4] for i in range(0, len(c), 4)),
        "-".join(c[i : i + 4] for i in range(0, len(c), 4)),
    ][style]


@fuzz_settings(150, 5000)
@given(kind=st.sampled_from(["phone", "id", "card", "email"]), data=st.data(), pre=around, post=after)
def test_pii_variants_are_redacted(kind: str, data: st.DataObject, pre: str, post: str) -> None:
    if kind == "phone":
        raw = spaced_phone(data.draw(phones), data.draw(st.integers(0, 6)))
        tag = PHONE
    elif kind == "id":
        raw = data.draw(id_cards)
        raw = raw.lower() if data.draw(st.booleans()) else raw  # a lower-case x check character
        tag = ID_CARD
    elif kind == "card":
        raw = spaced_card(data.draw(cards), data.draw(st.integers(0, 2)))
        tag = BANK_CARD
    else:
        raw = data.draw(emails)
        raw = raw.upper() if data.draw(st.booleans()) else raw
        tag = EMAIL
    text = f"{pre}{raw}{post}"
    out = redact(text)
    assert tag in out, (text, out)
    digits = "".join(ch for ch in raw if ch.isdigit())
    if digits:
        assert digits[-8:] not in "".join(ch for ch in out if ch.isdigit()), (text, out)
    assert redact(out) == out  # idempotent
    count(f"PII corpus: {kind} variants redacted")


# Near-misses: numbers that look like PII but are not, and must survive as written.
NEAR_MISSES = [
    "订单号13812345678已发货",
    "订单号：13812345678，请查收",
    "订单号 13812345678",
    "快递单号13912345678",
    "运单号：15012345678",
    "会员编号 18612345678",
    "工号13312345678",
    "价格1380元，库存12台",
    "预约电话 400-820-8820",  # a 400 service line, not a mobile number
    "2026年10月05日 20:15 开课",
    "20261005201500 是时间戳",
    "1381234567 是 10 位",  # 10 digits
    "138123456789 是 12 位",  # 12 digits
    "流水号 1234567812345678",  # 16 digits, fails Luhn
    "110105199013011236",  # 18 digits: month 13 is no date (not an ID) and it fails Luhn (not a card)
    "@小王 明天见",
    "邮箱写法 name at example dot com",
    "a@b",
    "版本 v1.3.8.12345678",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_survive(text: str) -> None:
    assert redact(text) == text
    count("PII corpus: near-misses kept")


@fuzz_settings(100, 3000)
@given(
    cue=st.sampled_from(["订单号", "单号", "快递单号", "运单号", "编号", "工号", "订单号：", "单号: "]),
    p=phones,
    post=after,
)
def test_order_numbers_that_look_like_phones_survive(cue: str, p: str, post: str) -> None:
    text = f"{cue}{p}{post}"
    assert redact(text) == text
    count("PII corpus: order numbers shaped like phones kept")


@fuzz_settings(100, 3000)
@given(
    text=st.text(alphabet=st.sampled_from(list("群运营活动打卡分享，。！？ abc0123456789@.-")), max_size=80)
)
def test_redaction_never_crashes_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    count("PII corpus: random text")


# -- the key and raw ids never leave the workspace --------------------------------------------------------------------

RAW_MEMBER = "RAWID-alice-88001"
RAW_STAFF = "RAWSTAFF-bob-77002"
PHONE_IN_TEXT = "13912345678"


@pytest.fixture(scope="module")
def leak_ws(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("leak")
    data = base / "data"
    data.mkdir()
    (data / "communities.csv").write_text(
        "community_id,name,platform,purpose,created_at,owner_staff_id,archive_consent\n"
        f"c1,隐私测试群,wecom_group,sales,2026-01-01 00:00:00,{RAW_STAFF},true\n"
        f"c2,无授权群,wecom_group,service,2026-01-01 00:00:00,{RAW_STAFF},false\n",
        encoding="utf-8",
    )
    (data / "staff.csv").write_text(
        f"staff_id,name,role,team\n{RAW_STAFF},张伟,specialist,华东组\n", encoding="utf-8"
    )
    members = ["community_id,member_id,joined_at,left_at,source_channel,inviter_id,is_staff,role"]
    members.append(f"c1,{RAW_STAFF},2026-01-01 00:00:00,,,,true,staff")
    members.append(f"c1,{RAW_MEMBER},2026-09-01 00:00:00,,referral,{RAW_STAFF},false,member")
    members += [f"c1,m{i},2026-09-0{i} 00:00:00,,poster,,false,member" for i in range(1, 6)]
    members += [f"c2,{RAW_MEMBER},2026-09-01 00:00:00,,poster,,false,member"]
    (data / "members.csv").write_text("\n".join(members) + "\n", encoding="utf-8")
    msgs = ["message_id,community_id,sender_id,sent_at,msg_type,text,reply_to,recalled"]
    msgs.append(f"x1,c1,{RAW_MEMBER},2026-10-05 20:00:00,text,我的电话{PHONE_IN_TEXT}，请问怎么退款？,,false")
    msgs.append(f"x2,c1,{RAW_STAFF},2026-10-05 20:05:00,text,您好，我来帮您处理退款问题,x1,false")
    msgs.append("x3,c2,m1,2026-10-06 09:00:00,text,这段话不应被保存因为没有授权,,false")
    (data / "messages.csv").write_text("\n".join(msgs) + "\n", encoding="utf-8")
    (data / "orders.csv").write_text(
        f"order_id,customer_id,community_id,paid_at,amount\no1,{RAW_MEMBER},c1,2026-10-06 10:00:00,199\n",
        encoding="utf-8",
    )
    (data / "surveys.csv").write_text(
        f"response_id,community_id,member_id,kind,score,answered_at,comment\n"
        f"s1,c1,{RAW_MEMBER},nps,9,2026-10-07 10:00:00,联系我 {PHONE_IN_TEXT} 或 alice@example.com\n",
        encoding="utf-8",
    )
    ws = base / "ws"
    out = base / "out"
    out.mkdir()
    logs = []

    def cli(*args: str) -> None:
        r = subprocess.run(
            [PY, "-m", "qunkpi.cli.main", *args], capture_output=True, text=True, cwd=REPO, timeout=600
        )
        logs.append(f"$ qunkpi {' '.join(args)}\n{r.stdout}\n{r.stderr}")
        assert r.returncode == 0, logs[-1][-3000:]

    cli("init", str(ws))
    cli("import", str(data), "--workspace", str(ws))
    cli("metrics", "--workspace", str(ws), "--period", "2026-10")
    cli(
        "members",
        "--workspace",
        str(ws),
        "--period",
        "2026-10",
        "--list",
        "scores",
        "--format",
        "csv",
        "--out",
        str(out / "members.csv"),
    )
    cli(
        "report",
        "--workspace",
        str(ws),
        "--period",
        "2026-10",
        "--format",
        "html",
        "--out",
        str(out / "report.html"),
    )
    cli(
        "report",
        "--workspace",
        str(ws),
        "--period",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        str(out / "report.xlsx"),
    )
    cli("export", "--workspace", str(ws), "--to", "parquet", str(out / "lake"))
    (out / "cli.log").write_text("\n".join(logs), encoding="utf-8")
    return {"ws": ws, "out": out, "data": data}


def _all_bytes(path: Path) -> bytes:
    """A file's bytes, with the members of zip files (xlsx) and tar files unpacked."""
    raw = path.read_bytes()
    chunks = [raw]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            chunks += [z.read(n) for n in z.namelist()]
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as t:
            for m in t.getmembers():
                f = t.extractfile(m)
                if f is not None:
                    chunks.append(f.read())
    return b"\n".join(chunks)


def test_no_raw_ids_or_key_outside_the_key_file(leak_ws: dict[str, Path]) -> None:
    from qunkpi.workspace.keys import KEY_FILE

    ws, out = leak_ws["ws"], leak_ws["out"]
    key_hex = (ws / KEY_FILE).read_text().strip()
    needles = {
        "raw member id": RAW_MEMBER.encode(),
        "raw staff id": RAW_STAFF.encode(),
        "phone in a message": PHONE_IN_TEXT.encode(),
        "e-mail in a survey": b"alice@example.com",
        "key (hex)": key_hex.encode(),
        "key (bytes)": bytes.fromhex(key_hex),
        "no-consent text": "不应被保存".encode(),
    }
    files = [p for p in [*ws.rglob("*"), *out.rglob("*")] if p.is_file() and p != ws / KEY_FILE]
    assert any(p.suffix == ".parquet" for p in files) and (out / "report.xlsx").exists()
    found = []
    for f in files:
        blob = _all_bytes(f)
        for what, needle in needles.items():
            if needle in blob:
                found.append(f"{what} in {f}")
    assert not found, found
    count("privacy: files scanned for raw ids and the key")


def test_no_consent_text_never_stored_first_import_included(leak_ws: dict[str, Path]) -> None:
    """SPEC §9: a community without archive consent stores no message text — also on the first import, when the
    communities file arrives in the same folder as the messages."""
    from qunkpi.workspace import Workspace

    ws = Workspace.open(leak_ws["ws"], read_only=True)
    try:
        rows = ws.con.execute("SELECT message_id, text FROM messages WHERE community_id = 'c2'").fetchall()
    finally:
        ws.close()
    assert rows == [("x3", None)], rows
