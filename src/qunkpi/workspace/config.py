"""Workspace settings (qunkpi.toml), validated with pydantic."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qunkpi.errors import ConfigError


class ClassificationSettings(BaseModel):
    model_config = ConfigDict(extra="allow")
    lexicon_dir: str = Field("lexicons", description="Folder (relative to the workspace) whose files extend or override the shipped lexicons")
    flood_repeats: int = Field(3, description="Same text this many times by one sender ...")
    flood_window_minutes: int = Field(10, description="... within this many minutes is spam (flooding)")
    share_min_chars: int = Field(30, description="Text of at least this many characters of substance is a share")
    sentiment_model: bool = Field(True, description="Combine the shipped offline sentiment model with the lexicon")
    negative_alarm_share: float = Field(0.10, description="negative_share above this raises the sentiment alarm")


class ServiceSettings(BaseModel):
    model_config = ConfigDict(extra="allow")
    hours: str | None = Field(None, description="Service hours like '09:00-21:00'; blank = the clock runs 24 h")
    exempt_phrases: list[str] = Field(
        default_factory=lambda: ["谢谢", "好的", "OK", "收到"],
        description="A member question consisting only of these needs no reply",
    )


class MetricSettings(BaseModel):
    model_config = ConfigDict(extra="allow")
    silent_days: int = Field(14, description="N of silent_ratio(N): 7 or 14")
    member_score_weights: tuple[float, float, float] = Field(
        (1.0, 1.0, 1.0), description="Weights of interactions, active days and text volume in member_score"
    )
    weekly_article_quota: int = Field(5, description="Articles an official account should publish per week (seed 004)")
    weekly_video_quota: int = Field(3, description="Videos a Channels account should publish per week (seed 004)")


class PlanSettings(BaseModel):
    model_config = ConfigDict(extra="allow")
    baseline_periods: int = Field(3, description="Trailing periods used as a target's baseline")
    refresh_band: float = Field(0.15, description="Quarterly target refresh moves targets by at most this share")


class Settings(BaseModel):
    """The contents of a workspace's qunkpi.toml."""

    model_config = ConfigDict(extra="allow")
    timezone: str = Field("Asia/Shanghai", description="Time zone of naive timestamps and of period boundaries")
    locale: str = Field("zh-CN", description="Language of reports and messages: zh-CN or en")
    pseudonymize: bool = Field(True, description="Pseudonymise member/sender/staff ids with the workspace key at import (SPEC §9)")
    staff_ids: list[str] = Field(default_factory=list, description="Extra raw ids to treat as staff everywhere")
    classification: ClassificationSettings = Field(default_factory=ClassificationSettings)  # type: ignore[arg-type]
    service: ServiceSettings = Field(default_factory=ServiceSettings)  # type: ignore[arg-type]
    metrics: MetricSettings = Field(default_factory=MetricSettings)  # type: ignore[arg-type]
    plans: PlanSettings = Field(default_factory=PlanSettings)  # type: ignore[arg-type]

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Asia/Shanghai") from e
        return v

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in ("zh-CN", "en"):
            raise ValueError("locale must be zh-CN or en")
        return v


DEFAULT_TOML = """\
# qunkpi workspace settings / 工作区设置
timezone = "Asia/Shanghai"   # 无时区的时间按此时区理解 / naive timestamps are in this zone
locale = "zh-CN"             # zh-CN 或 en
pseudonymize = true          # 导入时对成员/发送者 ID 做带密钥哈希 (SPEC §9)
staff_ids = []               # 额外视为员工的原始 ID / extra raw ids treated as staff

[classification]
lexicon_dir = "lexicons"     # 覆盖或扩展内置词典 / extend or override shipped lexicons
flood_repeats = 3
flood_window_minutes = 10
share_min_chars = 30
sentiment_model = true
negative_alarm_share = 0.10

[service]
# hours = "09:00-21:00"      # 服务时间；留空 = 24 小时计时 / blank = 24 h clock
exempt_phrases = ["谢谢", "好的", "OK", "收到"]

[metrics]
silent_days = 14
weekly_article_quota = 5
weekly_video_quota = 3

[plans]
baseline_periods = 3
refresh_band = 0.15
"""


def load_settings(path: Path) -> Settings:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: not found — run `qunkpi init` first") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        msgs = [f"{path}: {'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
        raise ConfigError("\n".join(msgs)) from e
