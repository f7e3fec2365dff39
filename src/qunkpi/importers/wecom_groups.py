"""WeCom customer groups: ``groupchat/get`` member lists and ``change_external_chat`` callbacks.

* ``wecom-groups`` (:func:`convert_groups`): each ``groupchat/get`` response (one per line, an array, or one
  object) → a community (platform ``wecom_group``) and one membership spell per member. The member list is a
  snapshot: it adds and updates spells and closes nobody's spell unless ``--as-of`` is given.
* ``wecom-group-events`` (:func:`convert_events`): the customer-group change callbacks (XML as WeCom posts
  them, several ``<xml>`` documents in one file allowed, or their JSON form) → join/leave spells with the
  join and quit scene.

Shapes: silenceper/wechat ``work/externalcontact/groupchat.go`` and ``callback.go``; the WeCom callback docs
(field notes §2).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector, Converted, ConvertOptions
from qunkpi.importers.jsonio import iter_records, read_text
from qunkpi.importers.people import is_wecom_staff
from qunkpi.importers.sniff import as_dict, as_list, iso, parse_int, parse_time, text_or_none

#: groupchat/get member.join_scene
JOIN_SCENES = {1: "invite_direct", 2: "invite_link", 3: "group_qr"}
#: change_external_chat JoinScene: 0 = invited by a member (directly or by link), 3 = scanned the group QR
CALLBACK_JOIN_SCENES = {0: "invite_direct", 1: "invite_direct", 2: "invite_link", 3: "group_qr"}
#: change_external_chat QuitScene
QUIT_SCENES = {0: "left", 1: "removed"}

MEMBER_COLUMNS = [
    "community_id",
    "member_id",
    "joined_at",
    "left_at",
    "source_channel",
    "inviter_id",
    "is_staff",
    "role",
]


def _scene(col: Collector, value: Any, table: dict[int, str], what: str) -> str | None:
    code = parse_int(value)
    if code is None:
        return None
    name = table.get(code)
    if name is None:
        col.skip(tr(f"未知的 {what} 代码 {code}：按 other 保留", f"unknown {what} code {code} kept as other"))
        return "other"
    return name


# -- groupchat/get -------------------------------------------------------------------------------------------


def convert_groups(path: Path, opts: ConvertOptions) -> Converted:
    col = Collector(path)
    text = read_text(path, col)
    if text is None:
        return col.result()
    tz = opts.timezone
    staff: dict[str, str] = {}
    for rec_ in iter_records(text, col):
        line, rec = rec_.line, rec_.value
        if not isinstance(rec, dict):
            col.rows_read += 1
            col.problem(line, None, tr("这里应是一个 JSON 对象", "expected a JSON object here"))
            continue
        group = as_dict(rec.get("group_chat")) or rec
        if "chat_id" not in group:
            col.rows_read += 1
            errcode = parse_int(rec.get("errcode"))
            if errcode:
                col.problem(
                    line,
                    "errcode",
                    tr(
                        f"接口返回错误 {errcode}：{rec.get('errmsg', '')}",
                        f"the API returned error {errcode}: {rec.get('errmsg', '')}",
                    ),
                    tr(
                        "这条响应没有群数据；重新调用 groupchat/get",
                        "this response holds no group; call groupchat/get again",
                    ),
                )
            elif "group_chat_list" in rec or "items" in rec:
                col.skip(
                    tr(
                        "群列表或群统计（没有成员名单，未导入）",
                        "group list or statistics (no member list; not imported)",
                    )
                )
            else:
                col.problem(line, "chat_id", tr("不是 groupchat/get 的群详情", "not a groupchat/get group"))
            continue
        _one_group(col, line, group, opts, tz, staff)
    for sid, name in sorted(staff.items()):
        col.add("staff", {"staff_id": sid, "name": name, "role": "specialist"})
    col.insert_only.add("staff")
    return col.result({"members": MEMBER_COLUMNS})


def _one_group(
    col: Collector, line: int, g: dict[str, Any], opts: ConvertOptions, tz: str, staff: dict[str, str]
) -> None:
    chat_id = text_or_none(g.get("chat_id"))
    if chat_id is None:
        col.rows_read += 1
        col.problem(line, "chat_id", tr("chat_id 为空", "chat_id is empty"))
        return
    owner = text_or_none(g.get("owner"))
    members = as_list(g.get("member_list"))
    admins = {text_or_none(a.get("userid")) for a in as_list(g.get("admin_list")) if isinstance(a, dict)}
    created = parse_time(g.get("create_time"), tz)
    joins: list[datetime] = []
    seen: set[str] = set()
    for i, m in enumerate(members):
        col.rows_read += 1
        where = f"member_list[{i}]"
        if not isinstance(m, dict):
            col.problem(line, where, tr("成员应是 JSON 对象", "a member must be a JSON object"))
            continue
        uid = text_or_none(m.get("userid"))
        if uid is None:
            col.problem(line, f"{where}.userid", tr("成员缺少 userid", "member without userid"))
            continue
        joined = parse_time(m.get("join_time"), tz)
        if joined is None:
            col.problem(
                line,
                f"{where}.join_time",
                tr(
                    f"无法识别的入群时间：{m.get('join_time')!r}",
                    f"unreadable join_time: {m.get('join_time')!r}",
                ),
            )
            continue
        if uid in seen:
            col.skip(tr("成员名单中重复的成员", "member listed twice in one member list"))
            continue
        seen.add(uid)
        joins.append(joined)
        mtype = parse_int(m.get("type"))
        if mtype not in (1, 2, None):
            col.skip(
                tr(
                    f"未知的成员类型 {mtype}：按外部联系人处理",
                    f"unknown member type {mtype} treated as external contact",
                )
            )
        is_staff = mtype == 1 or uid in opts.staff_ids or uid == owner or uid in admins
        if mtype is None and not is_staff:
            is_staff = is_wecom_staff(uid, frozenset())
        state = text_or_none(m.get("state"))
        source = state or _scene(col, m.get("join_scene"), JOIN_SCENES, "join_scene")
        invitor = m.get("invitor")
        inviter = text_or_none(invitor.get("userid")) if isinstance(invitor, dict) else text_or_none(invitor)
        col.add(
            "members",
            {
                "community_id": chat_id,
                "member_id": uid,
                "joined_at": iso(joined),
                "left_at": None,
                "source_channel": source,
                "inviter_id": inviter,
                "is_staff": is_staff,
                "role": "staff" if is_staff else "member",
            },
        )
        if is_staff:
            staff.setdefault(uid, text_or_none(m.get("name")) or text_or_none(m.get("group_nickname")) or uid)
    if created is None:
        created = min(joins) if joins else None
        if created is None:
            col.problem(line, "create_time", tr("群缺少 create_time", "the group has no create_time"))
            return
        col.skip(
            tr("群没有 create_time：用最早的入群时间代替", "group without create_time: earliest join used")
        )
    if owner:
        staff.setdefault(owner, owner)
    col.add(
        "communities",
        {
            "community_id": chat_id,
            "name": text_or_none(g.get("name")) or chat_id,
            "platform": "wecom_group",
            "purpose": None,
            "created_at": iso(created),
            "owner_staff_id": owner,
        },
    )
    col.snapshot_communities.add(chat_id)


# -- change_external_chat callbacks --------------------------------------------------------------------------

_XML_BLOCK = re.compile(r"<xml\b.*?</xml\s*>", re.S | re.I)


def _norm_key(k: str) -> str:
    return k.replace("_", "").replace("-", "").lower()


def _xml_event(block: str) -> dict[str, Any]:
    root = ET.fromstring(block)
    out: dict[str, Any] = {}
    for child in root:
        key = _norm_key(child.tag)
        items = [(it.text or "").strip() for it in child if _norm_key(it.tag) == "item"]
        out[key] = items if items or len(child) else (child.text or "").strip()
    return out


def _json_event(rec: dict[str, Any]) -> dict[str, Any]:
    return {_norm_key(str(k)): v for k, v in rec.items()}


def _member_list(value: Any) -> list[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if _norm_key(str(k)) == "item":
                return _member_list(v)
        return []
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            if isinstance(v, dict):
                uid = text_or_none(v.get("userid") or v.get("UserID") or v.get("Item"))
                if uid:
                    out.append(uid)
            elif text_or_none(v):
                out.append(str(v).strip())
        return out
    if isinstance(value, str) and value.strip():
        return [x.strip() for x in re.split(r"[,;\s]+", value) if x.strip()]
    return []


def _read_events(path: Path, col: Collector) -> list[tuple[int, dict[str, Any]]]:
    text = read_text(path, col)
    if text is None:
        return []
    events: list[tuple[int, dict[str, Any]]] = []
    if text.lstrip()[:1] == "<":
        blocks = list(_XML_BLOCK.finditer(text))
        if not blocks:
            col.problem(None, None, tr("没有找到 <xml> 回调事件", "no <xml> callback event found"))
        for m in blocks:
            line = text.count("\n", 0, m.start()) + 1
            try:
                events.append((line, _xml_event(m.group(0))))
            except ET.ParseError as e:
                col.rows_read += 1
                col.problem(line, None, tr(f"XML 回调无法解析：{e}", f"unreadable XML callback: {e}"))
        # A block cut off at the end of the file (an interrupted log) is reported, not ignored.
        tail = text[blocks[-1].end() :] if blocks else ""
        if "<xml" in tail.lower():
            line = text.count("\n", 0, len(text) - len(tail) + tail.lower().index("<xml")) + 1
            col.rows_read += 1
            col.problem(
                line, None, tr("XML 回调不完整（缺少 </xml>）", "incomplete XML callback (no </xml>)")
            )
        return events
    for rec in iter_records(text, col):
        if isinstance(rec.value, dict):
            events.append((rec.line, _json_event(rec.value)))
        else:
            col.rows_read += 1
            col.problem(rec.line, None, tr("这里应是一个 JSON 对象", "expected a JSON object here"))
    return events


def convert_events(path: Path, opts: ConvertOptions) -> Converted:
    col = Collector(path)
    tz = opts.timezone
    parsed: list[tuple[datetime, int, dict[str, Any]]] = []
    for line, ev in _read_events(path, col):
        col.rows_read += 1
        event = str(ev.get("event") or "change_external_chat").lower()
        if event != "change_external_chat":
            col.skip(tr(f"其他回调事件 {event}（未导入）", f"other callback event {event} (not imported)"))
            continue
        at = parse_time(ev.get("createtime"), tz)
        if at is None:
            col.problem(
                line,
                "CreateTime",
                tr("回调缺少可识别的 CreateTime", "callback without a readable CreateTime"),
            )
            continue
        if text_or_none(ev.get("chatid")) is None:
            col.problem(line, "ChatId", tr("回调缺少 ChatId", "callback without ChatId"))
            continue
        parsed.append((at, line, ev))
    parsed.sort(key=lambda x: (x[0], x[1]))

    open_spells: dict[tuple[str, str], dict[str, Any]] = {}
    spells: list[dict[str, Any]] = []
    for at, line, ev in parsed:
        chat = str(ev.get("chatid")).strip()
        change = str(ev.get("changetype") or "").lower()
        detail = str(ev.get("updatedetail") or "").lower()
        if change == "create":
            col.add(
                "communities",
                {
                    "community_id": chat,
                    "name": chat,
                    "platform": "wecom_group",
                    "purpose": None,
                    "created_at": iso(at),
                },
            )
            continue
        if change == "dismiss":
            for key, spell in list(open_spells.items()):
                if key[0] == chat:
                    spell["left_at"] = iso(at)
                    spell["quit_scene"] = "dismissed"
                    del open_spells[key]
            col.leaves.append(
                {"community_id": chat, "member_id": None, "left_at": iso(at), "quit_scene": "dismissed"}
            )
            continue
        if change != "update":
            col.skip(tr(f"未知的 ChangeType {change or '(空)'}", f"unknown ChangeType {change or '(empty)'}"))
            continue
        if detail not in ("add_member", "del_member"):
            col.skip(
                tr(
                    f"群设置变更 {detail or '(空)'}（与成员无关，未导入）",
                    f"group change {detail or '(empty)'} (not about members)",
                )
            )
            continue
        members = _member_list(ev.get("memchangelist"))
        cnt = parse_int(ev.get("memchangecnt"))
        if not members:
            col.problem(
                line, "MemChangeList", tr("成员变更回调没有成员名单", "member change without MemChangeList")
            )
            continue
        if cnt is not None and cnt > len(members):
            col.skip(
                tr(
                    "MemChangeCnt 多于名单中的成员（多出的无法导入）",
                    "MemChangeCnt above the listed members (extra not importable)",
                ),
                cnt - len(members),
            )
        if detail == "add_member":
            scene = _scene(col, ev.get("joinscene"), CALLBACK_JOIN_SCENES, "JoinScene")
            for uid in members:
                key = (chat, uid)
                if key in open_spells:
                    col.skip(
                        tr("重复的入群事件（成员已在群中）", "repeated join (member already in the group)")
                    )
                    continue
                staff = is_wecom_staff(uid, opts.staff_ids)
                spell = {
                    "community_id": chat,
                    "member_id": uid,
                    "joined_at": iso(at),
                    "left_at": None,
                    "source_channel": scene,
                    "inviter_id": None,
                    "is_staff": staff,
                    "role": "staff" if staff else "member",
                    "quit_scene": None,
                }
                open_spells[key] = spell
                spells.append(spell)
        else:
            quit_scene = _scene(col, ev.get("quitscene"), QUIT_SCENES, "QuitScene")
            for uid in members:
                key = (chat, uid)
                if key in open_spells:
                    spell = open_spells.pop(key)
                    spell["left_at"] = iso(at)
                    spell["quit_scene"] = quit_scene
                else:
                    col.leaves.append(
                        {"community_id": chat, "member_id": uid, "left_at": iso(at), "quit_scene": quit_scene}
                    )
    for s in spells:
        col.add("members", s)
    col.insert_only.add("communities")
    return col.result({"members": [*MEMBER_COLUMNS, "quit_scene"]})


def looks_like_group(sample: dict[str, Any]) -> bool:
    g = as_dict(sample.get("group_chat")) or sample
    return "chat_id" in g and ("member_list" in g or "owner" in g)


def looks_like_event(sample: dict[str, Any]) -> bool:
    keys = {_norm_key(str(k)) for k in sample}
    event = str(sample.get("Event") or sample.get("event") or "").lower()
    return event == "change_external_chat" or ({"chatid", "changetype"} <= keys)
