"""Personal WeChat chat-history exports → messages (and service chats for one-to-one PyWxDump files).

Four column sets, recognised from the header (field notes §5):

* 留痕 / WeChatMsg, old: localId, TalkerId, Type, SubType, IsSender, CreateTime, Status, StrContent, StrTime,
  Remark, NickName, Sender (LC044/WeChatMsg ``exporter_csv.py``);
* 留痕, new: 消息ID, 类型, wxid, 时间, 内容, 备注, 群昵称, 昵称;
* PyWxDump: id, MsgSvrID, type_name, is_sender, talker, room_name, msg, src, CreateTime (older versions: one
  ``content`` column holding ``{"msg": ..., "src": ...}``), paged into ``{chat}_{from}_{to}.csv`` files
  (xaoyaoo/PyWxDump ``pywxdump/db/export/exportCSV.py``);
* wxpy-style logs: time (Asia/Shanghai), group_id, group_name, from_id, from_nickname, content_type, content.

The exporting account (IsSender / is_sender = 1) is staff unless ``--self-is-member``; exports without a
sender flag (new 留痕, wxpy) rely on the staff ids listed in the workspace config. Message ids: PyWxDump's
MsgSvrID is kept exactly; 留痕 ids are local database row ids, unique only inside one chat, so they are
stored as ``{community}:{id}``; wxpy logs have none and get a stable hash of the row.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector, Converted, ConvertOptions
from qunkpi.importers.sniff import iso, parse_int, parse_time, text_or_none
from qunkpi.importers.tabular import find_header, norm_header, read_grid, records

VARIANTS: dict[str, tuple[str, ...]] = {
    "liuhen_old": (
        "localId",
        "TalkerId",
        "Type",
        "SubType",
        "IsSender",
        "CreateTime",
        "StrContent",
        "StrTime",
    ),
    "liuhen_new": ("消息ID", "类型", "wxid", "时间", "内容", "群昵称", "昵称"),
    "pywxdump": ("MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg", "CreateTime"),
    "wxpy": ("group_id", "group_name", "from_id", "from_nickname", "content_type", "content"),
}

#: WeChat message type codes (MSG.Type)
CODE_TYPES: dict[int, str] = {
    1: "text",
    3: "image",
    34: "voice",
    42: "other",  # contact card
    43: "video",
    47: "emotion",
    48: "other",  # location
    49: "link",  # app message: refined by SubType
    50: "other",  # voice/video call
    62: "video",
    10000: "system",
    10002: "system",
}
#: SubType of type 49 app messages
APP_SUBTYPES: dict[int, str] = {
    1: "text",
    3: "link",  # music
    4: "link",
    5: "link",
    6: "file",
    8: "emotion",
    19: "link",  # forwarded chat record
    24: "link",  # note
    33: "link",  # mini program
    36: "link",  # mini program
    51: "link",  # Channels feed
    57: "text",  # quoted reply
    63: "link",  # live
    87: "system",  # group announcement
    2000: "other",  # transfer
    2001: "redpacket",
}
TYPE_NAMES: dict[str, str] = {
    "文本": "text",
    "图片": "image",
    "语音": "voice",
    "视频": "video",
    "动画表情": "emotion",
    "表情": "emotion",
    "表情包": "emotion",
    "卡片式链接": "link",
    "链接": "link",
    "分享链接": "link",
    "文件": "file",
    "合并转发的聊天记录": "link",
    "聊天记录": "link",
    "小程序": "link",
    "视频号": "link",
    "音乐": "link",
    "引用回复": "text",
    "引用": "text",
    "转账": "other",
    "红包": "redpacket",
    "红包封面": "redpacket",
    "系统通知": "system",
    "系统消息": "system",
    "拍一拍": "system",
    "撤回消息": "system",
    "群公告": "system",
    "位置": "other",
    "位置分享": "other",
    "名片": "other",
    "语音通话": "other",
    "视频通话": "other",
    "音视频通话": "other",
    "语音/视频通话": "other",
    # wxpy content_type constants and English names
    "text": "text",
    "picture": "image",
    "image": "image",
    "recording": "voice",
    "voice": "voice",
    "video": "video",
    "sharing": "link",
    "link": "link",
    "attachment": "file",
    "file": "file",
    "card": "other",
    "map": "other",
    "note": "system",
    "friends": "system",
    "system": "system",
    "sticker": "emotion",
    "emotion": "emotion",
}

MEDIA_TYPES = frozenset({"image", "voice", "video", "emotion", "file"})
_GROUP_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_\-]{3,}):\n")
_PAGE_SUFFIX = re.compile(r"_\d+_\d+$")


def detect_variant(header: list[str]) -> str | None:
    best: tuple[int, str] | None = None
    for name, cols in VARIANTS.items():
        hits = sum(1 for c in cols if norm_header(c) in header)
        if hits >= max(3, len(cols) - 2) and (best is None or hits > best[0]):
            best = (hits, name)
    return None if best is None else best[1]


def _header_index(grid: Any) -> int | None:
    return find_header(grid, [c for cols in VARIANTS.values() for c in cols], min_hits=3)


def _flag(value: Any) -> bool:
    s = text_or_none(value)
    return s is not None and s.lower() in ("1", "true", "yes", "是", "我")


def _appmsg(content: str) -> dict[str, str]:
    """title / des / type / refermsg fields of an app-message XML (<msg><appmsg>...)."""
    s = content.strip()
    if not s.startswith("<"):
        return {}
    try:
        root = ET.fromstring(s)
    except ET.ParseError:
        return {}
    app = root.find("appmsg") if root.tag != "appmsg" else root
    if app is None:
        return {}
    out = {k: (app.findtext(k) or "").strip() for k in ("title", "des", "type")}
    ref = app.find("refermsg")
    if ref is not None:
        for k in ("svrid", "fromusr", "chatusr", "content", "displayname"):
            out[f"ref_{k}"] = (ref.findtext(k) or "").strip()
    return out


def convert(path: Path, opts: ConvertOptions) -> Converted:
    col = Collector(path)
    grid = read_grid(path, col)
    if not grid.rows:
        return col.result()
    hi = _header_index(grid)
    variant = None if hi is None else detect_variant([norm_header(h) for h in grid.rows[hi][1]])
    if hi is None or variant is None:
        col.problem(
            None,
            None,
            tr(
                "不是可识别的聊天记录导出（留痕/WeChatMsg、PyWxDump 或 wxpy 格式）",
                "not a recognised chat-history export",
            ),
            tr(
                "支持的表头见 docs/importing.md 的“个人微信聊天记录”",
                "see the supported headers in docs/importing.md",
            ),
        )
        return col.result()
    _header, rows = records(grid, hi)
    col.rows_read = len(rows)
    _Converter(col, opts, variant, path).run(rows)
    return col.result()


class _Converter:
    def __init__(self, col: Collector, opts: ConvertOptions, variant: str, path: Path) -> None:
        self.col = col
        self.opts = opts
        self.variant = variant
        self.tz = "Asia/Shanghai" if variant == "wxpy" else opts.timezone
        stem = _PAGE_SUFFIX.sub("", path.stem)
        self.fallback_community = opts.community or stem
        self.fallback_name = stem

    def _type(self, r: dict[str, Any], content: str | None, app: dict[str, str]) -> tuple[str, bool]:
        """(canonical type, known)."""
        if self.variant == "liuhen_old":
            code = parse_int(r.get("type"))
            sub = parse_int(r.get("subtype")) or parse_int(app.get("type"))
            if code == 49 and sub is not None:
                got = APP_SUBTYPES.get(sub)
                return (got, True) if got else ("link", True)
            if code is None or code not in CODE_TYPES:
                return "other", False
            return CODE_TYPES[code], True
        raw = {"liuhen_new": "类型", "pywxdump": "type_name", "wxpy": "content_type"}[self.variant]
        value = text_or_none(r.get(norm_header(raw)))
        if value is None:
            return "other", False
        code = parse_int(value)
        if code is not None and value.isdigit():
            got = CODE_TYPES.get(code)
            return (got, True) if got else ("other", False)
        got = TYPE_NAMES.get(value) or TYPE_NAMES.get(value.lower())
        return (got, True) if got else ("other", False)

    def run(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        col, v = self.col, self.variant
        self_id: str | None = None
        self_name: str | None = None
        parsed: list[dict[str, Any]] = []
        for rownum, r in rows:
            if v == "liuhen_old":
                rid = text_or_none(r.get("localid"))
                when = parse_time(r.get("createtime"), self.tz) or parse_time(r.get("strtime"), self.tz)
                content = text_or_none(r.get("strcontent"))
                sender = text_or_none(r.get("sender"))
                is_self = _flag(r.get("issender"))
                nick = text_or_none(r.get("nickname")) or text_or_none(r.get("remark"))
                room = None
            elif v == "liuhen_new":
                rid = text_or_none(r.get(norm_header("消息ID")))
                when = parse_time(r.get("时间"), self.tz)
                content = text_or_none(r.get("内容"))
                sender = text_or_none(r.get("wxid"))
                is_self = _flag(r.get("issender") or r.get("是否发送") or r.get("发送者"))
                nick = text_or_none(r.get("群昵称")) or text_or_none(r.get("昵称"))
                room = None
            elif v == "pywxdump":
                rid = text_or_none(r.get("msgsvrid"))
                if rid in (None, "0"):
                    local = text_or_none(r.get("id"))
                    rid = None if local is None else f"{self.fallback_community}:{local}"
                when = parse_time(r.get("createtime"), self.tz)
                content = text_or_none(r.get("msg"))
                if content is None and text_or_none(r.get("content")):
                    raw = str(r.get("content"))
                    try:
                        obj = json.loads(raw)
                        if isinstance(obj, str):
                            obj = json.loads(obj) if obj.strip().startswith("{") else {"msg": obj}
                    except ValueError:
                        obj = {"msg": raw}
                    content = text_or_none(obj.get("msg")) if isinstance(obj, dict) else raw
                sender = text_or_none(r.get("talker"))
                is_self = _flag(r.get("is_sender"))
                nick = None
                room = text_or_none(r.get("room_name"))
            else:  # wxpy
                rid = None
                when = parse_time(r.get("time") or r.get(norm_header("time(Asia/Shanghai)")), self.tz)
                content = text_or_none(r.get("content"))
                sender = text_or_none(r.get("from_id"))
                is_self = False
                nick = text_or_none(r.get("from_nickname"))
                room = text_or_none(r.get("group_id"))
            if when is None:
                col.problem(rownum, None, tr("缺少可识别的消息时间", "no readable message time"))
                continue
            # Old group rows may carry the sender as a "wxid:\n" prefix of the content.
            if content and not sender and not is_self:
                m = _GROUP_PREFIX.match(content)
                if m:
                    sender, content = m.group(1), content[m.end() :]
            app = _appmsg(content) if content else {}
            if is_self:
                if sender and self_id is None:
                    self_id = sender
                if nick and self_name is None:
                    self_name = nick
            parsed.append(
                {
                    "row": rownum,
                    "rid": rid,
                    "when": when,
                    "content": content,
                    "app": app,
                    "sender": sender,
                    "is_self": is_self,
                    "nick": nick,
                    "room": room,
                    "r": r,
                }
            )
        me = self_id or "self"
        self._emit(parsed, me, self_name)

    def _community_of(self, room: str | None) -> tuple[str, bool]:
        """(community id, is a group)."""
        if self.variant == "wxpy" and self.opts.community:
            # wxpy group ids (@@…) are only valid for one login session: --community names the group for good.
            return self.opts.community, True
        if room:
            if self.variant == "pywxdump" and not room.endswith("@chatroom"):
                return room, False
            return room, True
        return self.fallback_community, True

    def _emit(self, parsed: list[dict[str, Any]], me: str, self_name: str | None) -> None:
        col, opts = self.col, self.opts
        self_staff = not opts.self_is_member
        ids: dict[str, str] = {}  # message id -> community
        by_content: dict[tuple[str, str], str] = {}  # (sender, text) -> latest message id
        firsts: dict[str, tuple[datetime, str]] = {}
        staff: dict[str, str] = {}
        occurrences: Counter[str] = Counter()
        for p in parsed:
            community, group = self._community_of(p["room"])
            app = p["app"]
            canon, known = self._type(p["r"], p["content"], app)
            sender = me if p["is_self"] else (p["sender"] or ("system" if canon == "system" else None))
            if sender is None:
                col.problem(p["row"], None, tr("缺少发送者", "the sender is missing"))
                continue
            if not known:
                raw_t = (
                    p["r"].get("type")
                    or p["r"].get("类型")
                    or p["r"].get("type_name")
                    or p["r"].get("content_type")
                )
                col.skip(
                    tr(f"未知消息类型 {raw_t}：按 other 保留", f"unknown message type {raw_t} kept as other")
                )
            text = p["content"]
            reply_to = None
            if app:
                text = "\n".join(x for x in (app.get("title"), app.get("des")) if x) or None
                ref_id = app.get("ref_svrid")
                if ref_id and ref_id in ids:
                    reply_to = ref_id
                elif app.get("ref_content"):
                    ref_sender = app.get("ref_chatusr") or app.get("ref_fromusr") or ""
                    reply_to = by_content.get((ref_sender, app["ref_content"])) or by_content.get(
                        ("", app["ref_content"])
                    )
            elif canon in MEDIA_TYPES:
                text = None  # placeholders such as [图片] or raw media XML carry no words
            rid = p["rid"]
            if self.variant in ("liuhen_old", "liuhen_new") and rid is not None:
                rid = f"{community}:{rid}"
            if rid is None:
                basis = f"{community}|{iso(p['when'])}|{sender}|{text or ''}"
                occurrences[basis] += 1
                digest = hashlib.sha1(f"{basis}|{occurrences[basis]}".encode()).hexdigest()[:20]
                rid = f"wx:{digest}"
            if rid in ids:
                col.skip(tr("重复的消息 ID（保留第一条）", "duplicate message id (first kept)"))
                continue
            ids[rid] = community
            if text:
                by_content[(sender, text)] = rid
                by_content[("", text)] = rid
            from_staff = (p["is_self"] and self_staff) or sender in opts.staff_ids
            if from_staff:
                staff.setdefault(sender, self_name if p["is_self"] and self_name else (p["nick"] or sender))
            if not group:
                if opts.self_is_member:
                    col.skip(
                        tr("单聊（导出账号是普通成员，不计服务指标）", "one-to-one chat of a member account")
                    )
                    continue
                col.service.append(
                    {
                        "message_id": rid,
                        "conversation_id": f"{me}|{community}",
                        "staff_id": me,
                        "sender_id": sender,
                        "sent_at": iso(p["when"]),
                        "msg_type": canon,
                        "text": text,
                        "from_staff": p["is_self"],
                    }
                )
                staff.setdefault(me, self_name or me)
                continue
            col.add(
                "messages",
                {
                    "message_id": rid,
                    "community_id": community,
                    "sender_id": sender,
                    "sent_at": iso(p["when"]),
                    "msg_type": canon,
                    "text": text,
                    "reply_to": reply_to,
                    "recalled": False,
                    "__row": p["row"],
                },
            )
            if community not in firsts or p["when"] < firsts[community][0]:
                name = text_or_none(p["r"].get("group_name")) or (
                    self.fallback_name if community == self.fallback_community else community
                )
                firsts[community] = (p["when"], name)
        for community, (first, name) in firsts.items():
            col.add(
                "communities",
                {
                    "community_id": community,
                    "name": name,
                    "platform": "wechat_group",
                    "purpose": None,
                    "created_at": iso(first),
                },
            )
        for sid, name in sorted(staff.items()):
            col.add("staff", {"staff_id": sid, "name": name, "role": "specialist"})
        col.insert_only.update({"communities", "staff"})


def header_variant(header: list[str]) -> str | None:
    return detect_variant(header)
