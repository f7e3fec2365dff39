"""The demo scenario as data: community templates, staff, scales."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    copies: int  # each community template is instantiated this many times
    member_mult: float  # members per community relative to "small"
    rate_mult: float  # member messages per member relative to "small"
    staff_mult: float  # staff posts per community-day relative to "small"


SCALES: dict[str, Scale] = {
    "tiny": Scale(copies=1, member_mult=0.3, rate_mult=0.1, staff_mult=0.1),
    "small": Scale(copies=1, member_mult=1.0, rate_mult=1.07, staff_mult=1.0),
    "1m": Scale(copies=3, member_mult=1.5, rate_mult=2.8, staff_mult=1.6),  # ≈1M messages: the bench's scale curve
    "medium": Scale(copies=10, member_mult=1.8, rate_mult=3.9, staff_mult=2.0),
    "large": Scale(copies=24, member_mult=2.4, rate_mult=5.0, staff_mult=2.5),
}


@dataclass(frozen=True)
class CommunityTemplate:
    key: str  # id stem: c_<key>01
    name: str  # base Chinese name
    first_no: int  # number of the first copy's group (轻食打卡营·3群); <= 1 = no suffix
    platform: str
    purpose: str
    theme: str
    age_days: int  # created this many days before the end of the data
    size: int  # members at the end (small scale), roughly
    msg_rate: float  # member messages per unit of activity weight per day
    owner: str
    helpers: tuple[str, ...] = ()
    stage: str | None = None  # explicit stage; None = derived from created_at
    archive_consent: bool = True
    staff_flood: bool = False  # staff post far more than members (effective share low)
    bad_month: bool = False  # a month with net shrink two weeks running and churn > 5 %
    complaint_spike: bool = False  # a fortnight of negative messages after a bad release
    id_style: str = "wecom"  # wecom: wm_..., wechat: wxid_...

    @property
    def b2b(self) -> bool:
        return self.theme == "b2b"


TEMPLATES: tuple[CommunityTemplate, ...] = (
    CommunityTemplate(
        "fit", "轻食打卡营", 3, "wecom_group", "content", "fitness", 430, 380, 0.08, "wangfang", ("liuyang",)
    ),
    CommunityTemplate(
        "mom", "宝妈育儿交流群", 1, "wechat_group", "service", "parenting", 340, 470, 0.072, "sunli", (),
        id_style="wechat",
    ),
    CommunityTemplate(
        "b2b", "华登家电配件工程师技术群", 1, "wecom_group", "leads", "b2b", 140, 230, 0.096, "zhaolei", ("chenjing",)
    ),
    CommunityTemplate(
        "flash", "会员福利秒杀群", 1, "wecom_group", "sales", "retail", 400, 460, 0.048, "wangfang", ("lina",),
        staff_flood=True, bad_month=True,
    ),
    CommunityTemplate(
        "soft", "软件用户服务群", 1, "wecom_group", "service", "software", 390, 400, 0.064, "lina", ("chenjing",),
        complaint_spike=True,
    ),
    CommunityTemplate(
        "book", "读书会", 1, "wechat_group", "content", "reading", 58, 140, 0.112, "zhouqian", (),
        id_style="wechat",
    ),
    CommunityTemplate(
        "new", "新品尝鲜团", 2, "wecom_group", "sales", "retail", 78, 300, 0.064, "lina", ("liuyang",)
    ),
    CommunityTemplate(
        "twin", "二胎宝妈互助群", 1, "wechat_group", "service", "parenting", 120, 250, 0.072, "sunli", (),
        archive_consent=False, id_style="wechat",
    ),
    CommunityTemplate(
        # migrated from an older personal-WeChat dealer group: explicitly mature although created recently
        "dealer", "华登经销商合作群", 1, "wecom_group", "leads", "b2b", 105, 160, 0.08, "zhaolei", ("chenjing",),
        stage="mature",
    ),
)  # fmt: skip

# staff_id, name, role, team
BASE_STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("zhangwei", "张伟", "director", "私域运营中心"),
    ("liuyang", "刘洋", "manager", "零售社群组"),
    ("chenjing", "陈静", "manager", "B2B与服务组"),
    ("wangfang", "王芳", "specialist", "零售社群组"),
    ("lina", "李娜", "specialist", "零售社群组"),
    ("sunli", "孙丽", "specialist", "B2B与服务组"),
    ("zhaolei", "赵磊", "specialist", "B2B与服务组"),
    ("zhouqian", "周倩", "specialist", "内容组"),
)
# extra specialists that own the copies at larger scales: surname x given name
_SURNAMES = (
    ("杨", "yang"), ("黄", "huang"), ("吴", "wu"), ("郑", "zheng"), ("何", "he"), ("罗", "luo"), ("高", "gao"),
    ("林", "lin"), ("梁", "liang"), ("宋", "song"), ("谢", "xie"), ("韩", "han"), ("唐", "tang"), ("冯", "feng"),
    ("董", "dong"), ("程", "cheng"), ("曹", "cao"), ("袁", "yuan"), ("邓", "deng"), ("徐", "xu"),
)  # fmt: skip
_GIVEN = (
    ("帆", "fan"), ("磊", "lei"), ("婷", "ting"), ("浩", "hao"), ("静", "jing"), ("敏", "min"), ("翔", "xiang"),
    ("悦", "yue"), ("晨", "chen"), ("佳", "jia"), ("雪", "xue"), ("宁", "ning"), ("琪", "qi"), ("宇", "yu"),
    ("睿", "rui"), ("怡", "yi"), ("凯", "kai"), ("杰", "jie"), ("艳", "yan"), ("博", "bo"),
)  # fmt: skip


def extra_staff() -> list[tuple[str, str]]:
    """(staff_id, name) pairs for extra specialists, in a fixed order, clear of the base staff."""
    base = {s[0] for s in BASE_STAFF}
    out = []
    for i in range(len(_GIVEN)):
        for j, (sn, sp) in enumerate(_SURNAMES):
            gn, gp = _GIVEN[(i + j) % len(_GIVEN)]
            sid = sp + gp
            if sid not in base:
                out.append((sid, sn + gn))
    return out


TEAM_OF_THEME = {
    "fitness": "零售社群组",
    "retail": "零售社群组",
    "parenting": "B2B与服务组",
    "software": "B2B与服务组",
    "b2b": "B2B与服务组",
    "reading": "内容组",
}
MANAGER_OF_TEAM = {
    "零售社群组": "liuyang",
    "B2B与服务组": "chenjing",
    "内容组": "zhangwei",
    "私域运营中心": "zhangwei",
}

# source channels per theme: (channel, weight); "referral" gets an inviter
SOURCES: dict[str, tuple[tuple[str, float], ...]] = {
    "fitness": (
        ("official_account", 0.22), ("poster", 0.18), ("referral", 0.26), ("channel_qr:包裹卡", 0.14),
        ("channel_qr:直播间", 0.08), ("utm:douyin_ad", 0.08), ("", 0.04),
    ),
    "parenting": (
        ("official_account", 0.2), ("poster", 0.2), ("referral", 0.34), ("channel_qr:门店前台", 0.16),
        ("utm:xiaohongshu", 0.06), ("", 0.04),
    ),
    "b2b": (
        ("official_account", 0.25), ("referral", 0.25), ("channel_qr:展会", 0.2), ("channel_qr:官网", 0.15),
        ("utm:baidu_sem", 0.11), ("", 0.04),
    ),
    "retail": (
        ("official_account", 0.2), ("poster", 0.22), ("referral", 0.2), ("channel_qr:包裹卡", 0.18),
        ("channel_qr:门店前台", 0.08), ("utm:spring_sale", 0.08), ("", 0.04),
    ),
    "software": (
        ("official_account", 0.3), ("channel_qr:官网", 0.3), ("referral", 0.15), ("channel_qr:产品内", 0.2),
        ("", 0.05),
    ),
    "reading": (("official_account", 0.3), ("poster", 0.3), ("referral", 0.35), ("", 0.05)),
}  # fmt: skip

# member message mix per theme (category name -> weight); see messages.CATEGORIES
MIX_BASE: dict[str, float] = {
    "filler": 0.27, "greeting": 0.06, "emotion": 0.05, "redpacket": 0.008, "question": 0.09, "chat": 0.22,
    "checkin": 0.015, "share": 0.05, "image": 0.07, "link": 0.015, "video": 0.01, "file": 0.003,
    "voice": 0.02, "vote": 0.002, "complaint": 0.012, "spam": 0.003, "pii": 0.004,
}  # fmt: skip
MIX_THEME: dict[str, dict[str, float]] = {
    "fitness": {"checkin": 0.24, "chat": 0.15, "filler": 0.22, "question": 0.07},
    "reading": {"checkin": 0.12, "share": 0.09, "chat": 0.18, "vote": 0.006},
    "b2b": {"checkin": 0.002, "filler": 0.2, "greeting": 0.03, "question": 0.15, "share": 0.08, "file": 0.03, "emotion": 0.02, "chat": 0.2},
    "software": {"checkin": 0.004, "question": 0.16, "complaint": 0.03, "image": 0.08, "chat": 0.18},
    "retail": {"filler": 0.32, "question": 0.1, "redpacket": 0.02, "complaint": 0.015},
    "parenting": {"question": 0.11, "share": 0.06, "image": 0.08},
}  # fmt: skip

# hourly activity profiles (relative weights for hours 0..23)
HOURS_CONSUMER = (
    0.6, 0.3, 0.15, 0.1, 0.1, 0.2, 0.8, 2.5, 3.5, 3.0, 2.6, 2.6, 3.2, 2.6, 2.2, 2.2, 2.3, 2.6, 3.0, 4.0,
    5.5, 6.0, 5.0, 2.5,
)  # fmt: skip
HOURS_B2B = (
    0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.2, 1.0, 3.5, 5.0, 5.2, 4.5, 2.0, 3.0, 4.8, 5.0, 4.6, 3.5, 1.6, 1.0,
    1.0, 0.9, 0.5, 0.2,
)  # fmt: skip
# weekday factors Monday..Sunday
WEEK_CONSUMER = (0.95, 0.95, 0.95, 1.0, 1.05, 1.15, 1.15)
WEEK_B2B = (1.1, 1.15, 1.1, 1.1, 1.0, 0.3, 0.22)
WEEK_READING = (0.9, 0.9, 0.9, 0.95, 1.0, 1.3, 1.35)

# monthly baseline purchase propensity per present member, and price points (yuan)
PURCHASE_RATE = {
    "fitness": 0.06,
    "parenting": 0.05,
    "b2b": 0.0,
    "retail": 0.12,
    "software": 0.02,
    "reading": 0.03,
}
PRICES: dict[str, tuple[float, ...]] = {
    "fitness": (99.0, 129.0, 199.0, 299.0, 399.0, 59.9),
    "parenting": (89.0, 139.0, 259.0, 358.0, 59.9, 199.0),
    "b2b": (0.0,),
    "retail": (19.9, 29.9, 39.9, 59.0, 99.0, 129.0, 199.0, 9.9),
    "software": (299.0, 599.0, 1299.0, 2999.0),
    "reading": (39.0, 59.0, 99.0, 199.0),
}
