"""The offline dependency audit matches OSV records the way the OSV schema defines them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qunkpi.reliability.audit import affected, audit, main


def adv(
    name: str, events: list[dict[str, str]], versions: list[str] | None = None, rid: str = "GHSA-test"
) -> dict[str, Any]:
    return {
        "id": rid,
        "aliases": ["CVE-2099-1"],
        "summary": "test advisory",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": versions or [],
            }
        ],
    }


def test_ranges() -> None:
    e = adv("x", [{"introduced": "0"}, {"fixed": "1.2.0"}])["affected"][0]
    assert affected("1.1.9", e) and not affected("1.2.0", e) and not affected("2.0", e)
    e = adv("x", [{"introduced": "2.0"}, {"fixed": "2.1"}, {"introduced": "3.0"}, {"last_affected": "3.2"}])[
        "affected"
    ][0]
    assert [affected(v, e) for v in ("1.0", "2.0", "2.0.5", "2.1", "2.9", "3.0", "3.2", "3.2.1")] == [
        False,
        True,
        True,
        False,
        False,
        True,
        True,
        False,
    ]
    e = adv("x", [], versions=["0.9"])["affected"][0]
    assert affected("0.9", e) and not affected("0.9.1", e)


def test_audit_names_ignores_and_exit_status(tmp_path: Path) -> None:
    recs = [
        adv("Jinja2", [{"introduced": "0"}, {"fixed": "3.1.5"}], rid="GHSA-a"),
        adv("other_pkg", [{"introduced": "0"}], rid="GHSA-b"),
    ]
    have = {"jinja2": "3.1.4", "other-pkg": "1.0", "fine": "1.0"}
    assert {f.advisory for f in audit(recs, have, set())} == {"GHSA-a", "GHSA-b"}
    assert {f.advisory for f in audit(recs, have, {"GHSA-b"})} == {"GHSA-a"}
    assert audit(recs, {"jinja2": "3.1.5"}, set()) == []
    db = tmp_path / "osv"
    db.mkdir()
    (db / "a.json").write_text(
        json.dumps(adv("surely-not-installed-pkg", [{"introduced": "0"}])), encoding="utf-8"
    )
    assert main([str(db)]) == 0
    assert main([str(tmp_path / "missing.zip")]) == 2
