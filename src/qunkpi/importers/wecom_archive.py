"""WeCom session archive (会话内容存档): decrypted message JSON → messages, recall audit, service chats.

Input: the decrypted ``chatdata`` messages as one JSON object per line, a JSON array, or the API wrapper.
Shape from silenceper/wechat ``work/msgaudit/message.go`` and the WeCom developer docs (see the field notes).

* One record is one message (``chatrecord`` and ``mixed`` included: their texts are joined).
* ``action: recall`` (msgtype ``revoke``) marks ``revoke.pre_msgid`` as recalled and goes to the audit.
* ``action: switch`` (an employee switching company account) is not a message: counted and skipped.
* ``roomid`` empty → a one-to-one chat: stored as a service conversation, never as a community.
* Group messages create (insert-only) a community per room id and a staff row per employee sender.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector, Converted, ConvertOptions
from qunkpi.importers.jsonio import iter_records, read_text
from qunkpi.importers.people import is_wecom_staff
from qunkpi.importers.sniff import as_list, iso, parse_time, text_or_none

#: msgtype → canonical msg_type (SPEC §2). Anything else is kept as ``other`` and counted.
MSG_TYPES: dict[str, str] = {
    "text": "text",
    "markdown": "text",
    "image": "image",
    "voice": "voice",
    "video": "video",
    "emotion": "emotion",
    "file": "file",
    "qydiskfile": "file",
    "link": "link",
    "weapp": "link",
    "docmsg": "link",
    "news": "link",
    "sphfeed": "link",
    "chatrecord": "link",
    "mixed": "text",
    "redpacket": "redpacket",
    "external_redpacket": "redpacket",
    "vote": "vote",
    "agree": "system",
    "disagree": "system",
    "card": "other",
    "location": "other",
    "todo": "other",
    "collect": "other",
    "meeting": "other",
    "calendar": "other",
    "meeting_voice_call": "other",
    "voip_doc_share": "other",
    "voiptext": "other",
}

#: Payload keys that differ from the msgtype.
PAYLOAD_KEY = {"docmsg": "doc", "markdown": "info", "news": "info"}


def _maybe_json(value: Any) -> Any:
    """JSON-in-a-string (chatrecord/mixed item content, some re-serialised payloads) → the value."""
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "["):
            try:
                return json.loads(s)
            except ValueError:
                return value
    return value


def _payload(rec: dict[str, Any], mt: str) -> dict[str, Any]:
    for key in (PAYLOAD_KEY.get(mt, mt), mt, "info", "content"):
        p = _maybe_json(rec.get(key))
        if isinstance(p, dict):
            return p
    return {}


def _join(*parts: Any) -> str | None:
    seen: list[str] = []
    for p in parts:
        t = text_or_none(p) if not isinstance(p, (dict, list)) else None
        if t and t not in seen:
            seen.append(t)
    return "\n".join(seen) or None


def _item_texts(items: Any, depth: int = 0) -> list[str]:
    """Texts inside chatrecord / mixed items, whose ``content`` is a JSON string."""
    out: list[str] = []
    if not isinstance(items, list) or depth > 5:
        return out
    for it in items:
        if not isinstance(it, dict):
            continue
        content = _maybe_json(it.get("content"))
        if isinstance(content, dict):
            if isinstance(content.get("item"), list):
                out.extend(_item_texts(content["item"], depth + 1))
            for k in ("content", "title", "description", "desc", "feed_desc"):
                v = content.get(k)
                if isinstance(v, str) and v.strip():
                    out.append(v.strip())
                    break
        elif isinstance(content, str) and content.strip():
            out.append(content.strip())
    return out


def extract_text(rec: dict[str, Any], mt: str) -> str | None:
    p = _payload(rec, mt)
    if mt in ("text", "markdown"):
        return text_or_none(p.get("content"))
    if mt == "link":
        return _join(p.get("title"), p.get("description"))
    if mt == "weapp":
        return _join(p.get("title"), p.get("description"), p.get("displayname"))
    if mt == "docmsg":
        return _join(p.get("title"))
    if mt == "news":
        items = as_list(p.get("item"))
        return _join(
            *[x for it in items if isinstance(it, dict) for x in (it.get("title"), it.get("description"))]
        )
    if mt == "sphfeed":
        return _join(p.get("feed_desc"), p.get("sph_name"))
    if mt in ("chatrecord", "mixed"):
        return _join(p.get("title"), *_item_texts(p.get("item")))
    if mt == "vote":
        items = as_list(rec.get("voteitem"))
        return _join(rec.get("votetitle"), *items)
    if mt in ("redpacket", "external_redpacket"):
        return _join(p.get("wish"))
    if mt == "todo":
        return _join(p.get("title"), p.get("content"))
    if mt == "collect":
        details = as_list(p.get("details"))
        return _join(p.get("title"), *[d.get("ques") for d in details if isinstance(d, dict)])
    if mt in ("calendar", "meeting"):
        return _join(p.get("title"), p.get("topic"))
    return None


def _strip_external(msgid: str) -> str:
    return msgid[: -len("_external")] if msgid.endswith("_external") else msgid


def convert(path: Path, opts: ConvertOptions) -> Converted:
    col = Collector(path)
    text = read_text(path, col)
    if text is None:
        return col.result()
    tz = opts.timezone
    messages: dict[str, dict[str, Any]] = {}  # group messages by id, in file order
    service: dict[str, dict[str, Any]] = {}
    recalls: list[tuple[int, dict[str, Any]]] = []
    rooms: dict[str, datetime] = {}  # room id -> earliest message time
    staff_seen: set[str] = set()

    for rec_ in iter_records(text, col):
        col.rows_read += 1
        line, rec = rec_.line, rec_.value
        if not isinstance(rec, dict):
            col.problem(
                line, None, tr("这里应是一条消息（JSON 对象）", "expected a message (JSON object) here")
            )
            continue
        action = str(rec.get("action") or "send").lower()
        if action == "switch":
            col.skip(tr("切换企业日志（switch，不是消息）", "switch record (account switch, not a message)"))
            continue
        msgid = text_or_none(rec.get("msgid"))
        if msgid is None:
            col.problem(line, "msgid", tr("缺少 msgid", "msgid is missing"))
            continue
        sent = parse_time(rec.get("msgtime", rec.get("time")), tz)
        if sent is None:
            col.problem(
                line,
                "msgtime",
                tr(f"无法识别的时间：{rec.get('msgtime')!r}", f"unreadable time: {rec.get('msgtime')!r}"),
                tr(
                    "应为秒或毫秒时间戳，或 YYYY-MM-DD HH:MM:SS",
                    "expected epoch seconds/milliseconds or YYYY-MM-DD HH:MM:SS",
                ),
            )
            continue
        sender = text_or_none(rec.get("from"))
        room = text_or_none(rec.get("roomid")) or ""
        mt = str(rec.get("msgtype") or "").strip().lower()
        if not mt and "votetitle" in rec:
            mt = "vote"
        if action == "recall" or mt == "revoke":
            pre = text_or_none(_payload(rec, "revoke").get("pre_msgid"))
            if pre is None:
                col.problem(
                    line, "revoke.pre_msgid", tr("撤回记录缺少 pre_msgid", "recall record without pre_msgid")
                )
                continue
            recalls.append((line, {"pre": pre, "room": room, "sender": sender, "at": iso(sent), "rec": rec}))
            continue
        if sender is None:
            col.problem(line, "from", tr("缺少发送者（from）", "the sender (from) is missing"))
            continue
        canon = MSG_TYPES.get(mt)
        if canon is None:
            canon = "other"
            col.skip(
                tr(
                    f"未知消息类型 {mt or '(空)'}：按 other 保留",
                    f"unknown msgtype {mt or '(empty)'} kept as other",
                )
            )
        body = extract_text(rec, mt)
        if room:
            if msgid in messages:
                col.skip(tr("重复的消息 ID（保留第一条）", "duplicate message id (first kept)"))
                continue
            messages[msgid] = {
                "message_id": msgid,
                "community_id": room,
                "sender_id": sender,
                "sent_at": iso(sent),
                "msg_type": canon,
                "text": body,
                "reply_to": None,
                "recalled": False,
                "__row": line,
            }
            first = rooms.get(room)
            if first is None or sent < first:
                rooms[room] = sent
            if is_wecom_staff(sender, opts.staff_ids):
                staff_seen.add(sender)
        else:
            tolist = as_list(rec.get("tolist"))
            peer = text_or_none(tolist[0]) if tolist else None
            from_staff = is_wecom_staff(sender, opts.staff_ids)
            peer_staff = peer is not None and is_wecom_staff(peer, opts.staff_ids)
            if peer is None:
                col.problem(
                    line,
                    "tolist",
                    tr("单聊消息缺少接收者（tolist）", "one-to-one message without a receiver (tolist)"),
                )
                continue
            if from_staff and peer_staff:
                col.skip(
                    tr("员工之间的内部单聊（不计入服务指标）", "internal one-to-one chat between employees")
                )
                continue
            if not from_staff and not peer_staff:
                col.skip(tr("单聊双方都不是员工", "one-to-one chat without an employee"))
                continue
            staff, customer = (sender, peer) if from_staff else (peer, sender)
            if msgid in service:
                col.skip(tr("重复的消息 ID（保留第一条）", "duplicate message id (first kept)"))
                continue
            service[msgid] = {
                "message_id": msgid,
                "conversation_id": f"{staff}|{customer}",
                "staff_id": staff,
                "sender_id": sender,
                "sent_at": iso(sent),
                "msg_type": canon,
                "text": body,
                "from_staff": from_staff,
            }
            staff_seen.add(staff)

    # Recalls: mark the original (exact id, else the same id with/without the `_external` suffix).
    by_base: dict[str, str] = {}
    for mid in list(messages) + list(service):
        by_base.setdefault(_strip_external(mid), mid)
    for _line, r in recalls:
        pre = r["pre"]
        target = pre if (pre in messages or pre in service) else by_base.get(_strip_external(pre))
        room = r["room"]
        if target is not None and target in messages:
            messages[target]["recalled"] = True
            room = messages[target]["community_id"]
            col.skip(
                tr(
                    "撤回记录（原消息已标记为撤回，记入审计）",
                    "recall record (original marked recalled, audit)",
                )
            )
        elif target is not None and target in service:
            room = service.pop(target)["conversation_id"]
            col.skip(
                tr(
                    "撤回记录（单聊原消息移出服务统计，记入审计）",
                    "recall record (one-to-one original dropped from service metrics, audit)",
                )
            )
        else:
            col.skip(
                tr(
                    "撤回记录（原消息不在本文件中：若已导入则标记，否则仅记入审计）",
                    "recall record (original not in this file: marked if imported earlier, else audit only)",
                )
            )
        col.recalls.append(
            {
                "message_id": target or pre,
                "community_id": room or None,
                "sender_id": r["sender"],
                "recalled_at": r["at"],
            }
        )

    for m in messages.values():
        col.add("messages", m)
    for s in service.values():
        col.service.append(s)
    for room, first in rooms.items():
        col.add(
            "communities",
            {
                "community_id": room,
                "name": room,
                "platform": "wecom_group",
                "purpose": None,
                "created_at": iso(first),
            },
        )
    for sid in sorted(staff_seen):
        col.add("staff", {"staff_id": sid, "name": sid, "role": "specialist"})
    col.insert_only.update({"communities", "staff"})
    return col.result()


def looks_like(sample: dict[str, Any]) -> bool:
    return "msgid" in sample and ("msgtype" in sample or "action" in sample or "msgtime" in sample)
