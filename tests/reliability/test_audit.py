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


# -- the index's JSON API (served here by a loopback HTTP server, so the test needs no network) -----------------


def project(version: str, vulns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"info": {"name": "x", "version": version}, "vulnerabilities": vulns or []}


def vuln(vid: str, aliases: list[str], fixed: list[str], withdrawn: str | None = None) -> dict[str, Any]:
    return {
        "id": vid,
        "aliases": aliases,
        "fixed_in": fixed,
        "summary": "s",
        "details": "d",
        "withdrawn": withdrawn,
    }


def test_audit_index_latest_only() -> None:
    from qunkpi.reliability.audit import audit_index

    docs = {
        "ecdsa": project("0.19.2", [vuln("PYSEC-1", ["CVE-1", "GHSA-1"], [])]),
        "jinja2": project("3.1.6", [vuln("GHSA-old", [], ["3.1.6"], withdrawn="2025-01-01T00:00:00Z")]),
        "urllib3": project("2.8.0", [vuln("GHSA-u", [], [])]),
        "numpy": project("2.5.5"),
    }
    have = {"ecdsa": "0.19.2", "jinja2": "3.1.6", "urllib3": "1.26.0", "numpy": "2.5.5.0", "qunkpi-x": "0.1"}
    found, missing = audit_index(have, docs.get, set())
    # ecdsa: its version is the latest, so the list applies; jinja2's only advisory is withdrawn; numpy's
    # "2.5.5.0" is the same version as "2.5.5"; urllib3 1.26.0 is not the latest: no data, even though the
    # latest release has an advisory (it may or may not affect 1.26.0)
    assert [(f.package, f.advisory, f.aliases, f.fixed) for f in found] == [
        ("ecdsa", "PYSEC-1", ("CVE-1", "GHSA-1"), ())
    ]
    assert [(m.package, m.version) for m in missing] == [("qunkpi-x", "0.1"), ("urllib3", "1.26.0")]
    assert "2.8.0" in missing[1].reason
    # an accepted advisory is matched by its id or any alias
    assert audit_index(have, docs.get, {"GHSA-1"})[0] == []


POLICY = """# Reliability

## Security

| advisory | package | reason | accepted by | review by |
|---|---|---|---|---|
| GHSA-elsewhere | foo | a table in another section is not the policy | x | 2026-12-01 |

## Dependency audit (pip-audit)

| advisory | package | reason | accepted by | review by |
|---|---|---|---|---|
| (none) | | | | |
| `GHSA-ok` | ecdsa | not used for signing | lead | 2027-02-20 |
| not-audited | NumPy | latest needs Python 3.12 | lead | 2026-12-01 |
| GHSA-expired | foo | old | lead | 2026-11-21 |
| GHSA-far | foo | too far | lead | 2027-02-21 |
| GHSA-bad | foo | bad date | lead | soon |

## Known limits
"""


def test_policy_table(tmp_path: Path) -> None:
    import datetime as dt

    from qunkpi.reliability.audit import read_policy

    doc = tmp_path / "reliability.md"
    doc.write_text(POLICY, encoding="utf-8")
    pol = read_policy(doc, dt.date(2026, 11, 22))
    assert pol.ignore == {"GHSA-ok"}  # 2027-02-20 is 90 days after 2026-11-22
    assert pol.not_audited == {"numpy"}
    assert len(pol.errors) == 3
    assert "GHSA-expired" in pol.errors[0] and "2026-11-21" in pol.errors[0]
    assert "GHSA-far" in pol.errors[1] and "GHSA-bad" in pol.errors[2]
    # the day after its review date a row stops counting (and the 2027-02-21 row is now within 90 days)
    assert read_policy(doc, dt.date(2027, 2, 21)).ignore == {"GHSA-far"}


def test_pinned_requirements(tmp_path: Path) -> None:
    import pytest

    from qunkpi.reliability.audit import SourceError, pinned

    req = tmp_path / "req.txt"
    req.write_text("# old pins\nurllib3==1.26.0\n\nJinja2[i18n] == 2.11.0  # extras\n", encoding="utf-8")
    assert pinned(req) == {"urllib3": "1.26.0", "jinja2": "2.11.0"}
    req.write_text("urllib3>=1.26\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"req\.txt:1"):
        pinned(req)


def test_installed_skips_the_local_project() -> None:
    from qunkpi.reliability.audit import installed

    assert "qunkpi" in installed()
    assert "qunkpi" not in installed(skip_local=True)
    assert "packaging" in installed(skip_local=True)


class _Index:
    """A loopback server for /pypi/<name>/json: documents by name, or an HTTP status to answer instead."""

    def __init__(self, answers: dict[str, Any]) -> None:
        import http.server
        import threading

        self.answers = answers
        self.hits: dict[str, int] = {}

        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.strip("/").split("/")[1]
                index.hits[name] = index.hits.get(name, 0) + 1
                ans = index.answers.get(name, 404)
                body = b"" if isinstance(ans, int) else json.dumps(ans).encode()
                self.send_response(ans if isinstance(ans, int) else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pypi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_main_against_an_index(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import datetime as dt

    import qunkpi.reliability.audit as mod
    from qunkpi.i18n import get_lang, set_lang

    monkeypatch.setattr(mod, "BACKOFF_S", 0.0)
    before = get_lang()
    set_lang("en")
    req = tmp_path / "req.txt"
    doc = tmp_path / "reliability.md"
    doc.write_text(POLICY, encoding="utf-8")
    today = dt.date(2026, 11, 22)
    index = _Index(
        {
            "ecdsa": project("0.19.2", [vuln("GHSA-ok", [], [])]),
            "jinja2": project("3.1.6"),
            "numpy": project("2.5.5"),
            "urllib3": project("2.8.0"),
            "broken": 503,
        }
    )
    try:

        def run(pins: str, *extra: str) -> int:
            req.write_text(pins, encoding="utf-8")
            return main(["-r", str(req), "--index-json", index.url, *extra], today=today)

        assert run("jinja2==3.1.6\n") == 0
        assert run("ecdsa==0.19.2\njinja2==3.1.6\n") == 1  # a known vulnerability
        assert "VULN  ecdsa 0.19.2: GHSA-ok" in capsys.readouterr().out
        assert run("ecdsa==0.19.2\n", "--ignore", "GHSA-ok") == 0
        assert run("urllib3==1.26.0\njinja2==2.11.0\n") == 1  # old pins: not audited is a failure
        assert "NOT AUDITED  urllib3 1.26.0" in capsys.readouterr().out
        # the policy accepts GHSA-ok and an unaudited numpy, but its expired/bad rows fail the run
        assert run("ecdsa==0.19.2\nnumpy==2.4.6\n", "--policy", str(doc)) == 1
        out = capsys.readouterr().out
        assert "VULN" not in out and "not audited (accepted)  numpy 2.4.6" in out and "POLICY" in out
        clean = tmp_path / "clean.md"
        clean.write_text("\n".join(x for x in POLICY.splitlines() if "foo" not in x), encoding="utf-8")
        assert run("ecdsa==0.19.2\nnumpy==2.4.6\n", "--policy", str(clean)) == 0
        assert run("unknown-project==1.0\n") == 1  # 404: not on the index, not audited
        # an index that keeps failing: retried, then exit 2 (never a silent pass)
        assert run("jinja2==3.1.6\nbroken==1.0\n") == 2
        assert index.hits["broken"] == 3
        assert "audit failed" in capsys.readouterr().err
    finally:
        index.close()
        set_lang(before)
