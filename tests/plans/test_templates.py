"""Templates are data: the shipped set validates, covers the SPEC §5 cases, and workspace templates are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qunkpi.errors import ValidationFailed
from qunkpi.plans.model import TEMPLATES_DIR, load_templates

SHIPPED_IDS = {
    m for p in TEMPLATES_DIR.glob("*.yaml") for t in yaml.safe_load(p.read_text(encoding="utf-8"))
    for m in ([t["north_star"]["metric"], *t["north_star"].get("alternatives", [])] if "north_star" in t else [])
    + [s["metric"] for s in t.get("supporting", [])]
}


def test_shipped_templates_cover_spec_5() -> None:
    ts = load_templates(None, SHIPPED_IDS)
    assert ts.issues == []
    assert {t.purpose for t in ts.templates.values() if t.kind == "purpose"} == {"sales", "service", "content", "leads"}
    assert {t.stage for t in ts.templates.values() if t.kind == "stage"} == {"startup", "growth", "mature"}
    assert {t.account_type for t in ts.templates.values() if t.kind == "account_type"} == {"media", "product", "sales"}
    assert {"fitness_checkin", "mother_baby", "paid_course"} <= set(ts.templates)
    # seed 003's stage thresholds are in the stage templates
    bms = {(t.stage, m.metric): m.benchmark.value for t in ts.templates.values() if t.kind == "stage"
           for m in t.supporting if m.benchmark}
    assert bms == {("startup", "join_rate"): 0.25, ("startup", "profile_completeness"): 0.80,
                   ("startup", "messages_per_member_day"): 5.0, ("growth", "activity_participation_rate"): 0.30,
                   ("growth", "lead_conversion_rate"): 0.15, ("growth", "high_value_share"): 0.10,
                   ("mature", "output_input_ratio"): 3.0, ("mature", "repurchase_rate"): 0.25,
                   ("mature", "koc_referral_share"): 0.20}
    # the leads template follows seed 001's pyramid with qualified leads as the North Star
    leads = ts.for_purpose("leads")
    assert leads is not None and leads.north_star is not None and leads.north_star.metric == "qualified_leads"
    # every template says which metrics are process and which result
    for t in ts.templates.values():
        assert all(m.kind in ("process", "result") for m in t.supporting), t.id


def test_unknown_ids_warn_for_shipped_templates() -> None:
    ts = load_templates(None, SHIPPED_IDS - {"nps"})
    assert ts.issues and all(i.level == "warning" and "nps" in i.message for i in ts.issues)


def test_workspace_templates_are_validated_all_at_once(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "mine.yaml").write_text(yaml.safe_dump([
        {"id": "mine", "kind": "purpose", "purpose": "sales", "zh": "我的", "en": "mine", "source": "me",
         "north_star": {"metric": "gmvv", "why_zh": "x", "why_en": "x"}},  # unknown metric: error for a user template
        {"id": "bad", "kind": "stage", "zh": "x", "en": "x", "source": "me"},  # a stage template without a stage
        {"id": "typo", "kind": "purpose", "purpose": "sales", "zh": "x", "en": "x", "source": "me", "nort_star": {}},
    ], allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_templates(tmp_path, SHIPPED_IDS)
    text = " | ".join(p.format() for p in e.value.problems)
    assert "gmvv" in text and "bad" in text and "nort_star" in text
    assert len(e.value.problems) == 3  # gmvv, no stage, the extra field (a schema error stops that template there)


def test_docs_name_every_template_and_rule() -> None:
    from qunkpi.alerts.model import RULES_FILE

    doc = (Path(__file__).parents[2] / "docs" / "plans.md").read_text(encoding="utf-8")
    tids = [t["id"] for p in TEMPLATES_DIR.glob("*.yaml") for t in yaml.safe_load(p.read_text(encoding="utf-8"))]
    rids = [r["id"] for r in yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))]
    missing = [i for i in [*tids, *rids] if f"`{i}`" not in doc]
    assert missing == []
