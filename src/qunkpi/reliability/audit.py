"""Dependency audit: the installed distributions (or pinned requirements) against known vulnerabilities.

Two sources (docs/reliability.md "Dependency audit" says why pip-audit itself cannot be used here):

- **the package index's JSON API** (default; what ``make audit`` runs). ``GET <index>/pypi/<name>/json`` carries a
  ``vulnerabilities`` list (PyPI's copy of the OSV/PyPA advisories) for the project's **latest** release. For a
  distribution whose installed version is that latest release the list is exactly its known vulnerabilities; any
  other version cannot be audited this way (the per-version endpoint ``/pypi/<name>/<version>/json`` that
  pip-audit needs is not served by the index this project reaches) and is reported as *not audited*.
- **a local copy of the OSV database** for PyPI (``all.zip`` or a folder of OSV JSON files), carried over from a
  machine with wider network access: ``python -m qunkpi.reliability.audit all.zip``. Matching follows the OSV
  schema: an explicit ``versions`` list, or ``ranges`` of type ECOSYSTEM with ``introduced`` / ``fixed`` /
  ``last_affected`` events.

The policy (``--policy docs/reliability.md``) is the table in that page's "Dependency audit" section: an accepted
advisory id, or ``not-audited`` for a package whose version cannot be audited, with a review date at most 90 days
ahead. An expired or too distant entry is an error.

Exit status: 0 clean; 1 a known vulnerability not accepted, a distribution not audited and not accepted, or a
policy error; 2 the advisory source could not be read (index unreachable after retries, unreadable database,
unreadable requirements file) — never a silent pass.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from qunkpi.i18n import tr

NOT_AUDITED = "not-audited"
MAX_REVIEW_DAYS = 90
DEFAULT_INDEX_JSON = "https://pypi.org/pypi"
BACKOFF_S = 2.0  # between retries of one index request: 2 s, then 4 s


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class Unaudited:
    package: str
    version: str
    reason: str


class SourceError(Exception):
    """The advisory source could not be read (exit status 2)."""


# -- what is audited ----------------------------------------------------------------------------------------


def installed(skip_local: bool = False) -> dict[str, str]:
    """Installed distributions (normalised name → version). ``skip_local``: leave out projects installed from a
    local folder (the editable project itself, also through a stray ``src/*.egg-info``), which no index knows."""
    out: dict[str, str] = {}
    local: set[str] = set()
    for d in metadata.distributions():
        name = d.metadata["Name"]
        if not name:
            continue
        direct = d.read_text("direct_url.json")
        if direct and "dir_info" in json.loads(direct):
            local.add(normalise(name))
        out.setdefault(normalise(name), d.version)  # the first on sys.path is the one imported
    return {n: v for n, v in out.items() if not (skip_local and n in local)}


def pinned(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file (comments and blank lines skipped; nothing else allowed)."""
    out: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([A-Za-z0-9.+!_-]+)", line)
        if not m:
            raise SourceError(
                tr(
                    f"{path}:{n}：只支持精确版本 name==version（{raw.strip()!r}）",
                    f"{path}:{n}: only exact pins name==version are supported ({raw.strip()!r})",
                )
            )
        out[normalise(m.group(1))] = m.group(2)
    return out


# -- the local OSV database ---------------------------------------------------------------------------------


def records(source: Path) -> Iterator[dict[str, Any]]:
    """OSV records from a zip (as published) or a folder of JSON files."""
    if source.is_dir():
        for f in sorted(source.rglob("*.json")):
            yield json.loads(f.read_text(encoding="utf-8"))
        return
    with zipfile.ZipFile(source) as z:
        for n in z.namelist():
            if n.endswith(".json"):
                yield json.loads(z.read(n))


def _v(s: str) -> Version | None:
    try:
        return Version(s)
    except InvalidVersion:
        return None


def affected(version: str, entry: dict[str, Any]) -> bool:
    if version in (entry.get("versions") or []):
        return True
    v = _v(version)
    if v is None:
        return False
    for rng in entry.get("ranges") or []:
        if rng.get("type") != "ECOSYSTEM":
            continue
        # events are ordered; walk them keeping whether v is inside an affected interval
        inside = False
        for ev in rng.get("events") or []:
            if "introduced" in ev:
                lo = ev["introduced"]
                if lo == "0" or ((lv := _v(lo)) is not None and v >= lv):
                    inside = True
            elif "fixed" in ev:
                if (fv := _v(ev["fixed"])) is not None and v >= fv:
                    inside = False
            elif "last_affected" in ev and (av := _v(ev["last_affected"])) is not None and v > av:
                inside = False
        if inside:
            return True
    return False


def audit(recs: Iterable[dict[str, Any]], have: dict[str, str], ignore: set[str]) -> list[Finding]:
    found: list[Finding] = []
    for rec in recs:
        ids = {rec.get("id", ""), *(rec.get("aliases") or [])}
        if ids & ignore or rec.get("withdrawn"):
            continue
        for aff in rec.get("affected") or []:
            pkg = aff.get("package") or {}
            if pkg.get("ecosystem") != "PyPI":
                continue
            name = normalise(str(pkg.get("name", "")))
            if name in have and affected(have[name], aff):
                fixed = tuple(
                    ev["fixed"]
                    for r in aff.get("ranges") or []
                    for ev in r.get("events") or []
                    if "fixed" in ev
                )
                found.append(
                    Finding(
                        name,
                        have[name],
                        str(rec.get("id")),
                        tuple(rec.get("aliases") or []),
                        fixed,
                        str(rec.get("summary", ""))[:120],
                    )
                )
    return found


# -- the index's JSON API -----------------------------------------------------------------------------------


def index_json_base() -> str:
    """``QUNKPI_AUDIT_INDEX_JSON``, else derived from ``PIP_INDEX_URL`` (``…/simple`` → ``…/pypi``), else PyPI."""
    explicit = os.environ.get("QUNKPI_AUDIT_INDEX_JSON")
    if explicit:
        return explicit.rstrip("/")
    idx = os.environ.get("PIP_INDEX_URL", "").rstrip("/")
    if idx.startswith("http") and idx.endswith("/simple"):
        return idx[: -len("/simple")] + "/pypi"
    return DEFAULT_INDEX_JSON


def http_json(
    url: str, *, timeout: float = 60.0, tries: int = 3, backoff_s: float | None = None
) -> dict[str, Any] | None:
    """GET a JSON document; None for 404. Retries network errors and 5xx/429; raises SourceError in the end."""
    last: Exception | None = None
    for i in range(tries):
        if i:
            time.sleep((BACKOFF_S if backoff_s is None else backoff_s) * i)
        req = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": "qunkpi-audit"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                data = json.loads(r.read())
            if not isinstance(data, dict):
                raise SourceError(tr(f"{url}：不是 JSON 对象", f"{url}: not a JSON object"))
            return data
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            last = e
            if e.code < 500 and e.code != 429:
                break
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as e:
            last = e
    raise SourceError(tr(f"{url}：无法读取（{last}）", f"{url}: cannot be read ({last})"))


def _same_version(a: str, b: str) -> bool:
    va, vb = _v(a), _v(b)
    return va == vb if va is not None and vb is not None else a == b


def audit_index(
    have: dict[str, str],
    fetch: Callable[[str], dict[str, Any] | None],
    ignore: set[str],
    *,
    jobs: int = 8,
) -> tuple[list[Finding], list[Unaudited]]:
    """Audit against each project's ``/pypi/<name>/json`` (``fetch(name)``; None = not on the index)."""
    names = sorted(have)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        docs = dict(zip(names, ex.map(fetch, names), strict=True))
    found: list[Finding] = []
    missing: list[Unaudited] = []
    for name in names:
        version, doc = have[name], docs[name]
        if doc is None:
            missing.append(
                Unaudited(name, version, tr("索引中没有这个项目", "the index does not know this project"))
            )
            continue
        latest = str((doc.get("info") or {}).get("version") or "")
        if not _same_version(version, latest):
            missing.append(
                Unaudited(
                    name,
                    version,
                    tr(
                        f"不是最新版本 {latest}：索引只提供最新版本的漏洞数据",
                        f"not the latest release {latest}: the index gives vulnerability data for the latest release only",
                    ),
                )
            )
            continue
        for vuln in doc.get("vulnerabilities") or []:
            ids = {str(vuln.get("id", "")), *(str(a) for a in vuln.get("aliases") or [])}
            if vuln.get("withdrawn") or ids & ignore:
                continue
            found.append(
                Finding(
                    name,
                    version,
                    str(vuln.get("id")),
                    tuple(str(a) for a in vuln.get("aliases") or []),
                    tuple(str(f) for f in vuln.get("fixed_in") or []),
                    " ".join(str(vuln.get("summary") or vuln.get("details") or "").split())[:120],
                )
            )
    return found, missing


# -- the policy table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    ignore: set[str]  # accepted advisory ids
    not_audited: set[str]  # packages that may stay unaudited
    errors: list[str]


def read_policy(path: Path, today: dt.date) -> Policy:
    """The table of the "Dependency audit" section: | advisory | package | reason | accepted by | review by |."""
    ignore: set[str] = set()
    not_audited: set[str] = set()
    errors: list[str] = []
    in_section = in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_section = "dependency audit" in line.lower()
            in_table = False
            continue
        if not in_section or not line.startswith("|"):
            in_table = in_table and line.startswith("|")
            continue
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].lower() == "advisory":
            in_table = True
            continue
        if not in_table or len(cells) != 5 or set(cells[0]) <= set("-: ") or cells[0] == "(none)":
            continue
        advisory, package, _reason, _by, review = cells
        try:
            due = dt.date.fromisoformat(review)
        except ValueError:
            errors.append(
                tr(
                    f"{path}：{advisory} {package} 的复查日期 {review!r} 不是 YYYY-MM-DD",
                    f"{path}: review date {review!r} of {advisory} {package} is not YYYY-MM-DD",
                )
            )
            continue
        if due < today:
            errors.append(
                tr(
                    f"{path}：{advisory} {package} 的接受已于 {due} 到期（复查后更新日期或删除该行）",
                    f"{path}: the acceptance of {advisory} {package} expired on {due} (review it: renew or remove the row)",
                )
            )
            continue
        if (due - today).days > MAX_REVIEW_DAYS:
            errors.append(
                tr(
                    f"{path}：{advisory} {package} 的复查日期 {due} 超过 {MAX_REVIEW_DAYS} 天",
                    f"{path}: review date {due} of {advisory} {package} is more than {MAX_REVIEW_DAYS} days ahead",
                )
            )
            continue
        if advisory.lower() == NOT_AUDITED:
            not_audited.add(normalise(package))
        else:
            ignore.add(advisory)
    return Policy(ignore, not_audited, errors)


# -- command line -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None, *, today: dt.date | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Audit installed (or pinned) Python packages for known vulnerabilities: against the package "
        "index's JSON API (default) or a local OSV database"
    )
    ap.add_argument(
        "database",
        type=Path,
        nargs="?",
        help="OSV PyPI all.zip, or a folder of OSV JSON files (offline mode)",
    )
    ap.add_argument(
        "-r", "--requirement", type=Path, help="audit these name==version pins instead of the environment"
    )
    ap.add_argument(
        "--index-json", help=f"JSON API base (default: from PIP_INDEX_URL, else {DEFAULT_INDEX_JSON})"
    )
    ap.add_argument("--ignore", action="append", default=[], help="advisory id (or alias) accepted by policy")
    ap.add_argument("--policy", type=Path, help="docs/reliability.md: its Dependency audit table")
    ap.add_argument("--jobs", type=int, default=8, help="parallel index requests")
    args = ap.parse_args(argv)

    policy = Policy(set(), set(), [])
    if args.policy:
        try:
            policy = read_policy(args.policy, today or dt.date.today())
        except OSError as e:
            print(tr(f"无法读取策略文件：{e}", f"cannot read the policy file: {e}"), file=sys.stderr)
            return 2
    ignore = set(args.ignore) | policy.ignore
    try:
        have = pinned(args.requirement) if args.requirement else installed(skip_local=args.database is None)
        if args.database is not None:
            try:
                recs = list(records(args.database))
            except (OSError, zipfile.BadZipFile, json.JSONDecodeError) as e:
                raise SourceError(
                    tr(
                        f"无法读取漏洞数据库 {args.database}：{e}",
                        f"cannot read the advisory database {args.database}: {e}",
                    )
                ) from e
            found, missing = audit(recs, have, ignore), list[Unaudited]()
            source = tr(f"{len(recs)} 条 OSV 公告", f"{len(recs)} OSV advisories")
        else:
            base = (args.index_json or index_json_base()).rstrip("/")
            found, missing = audit_index(
                have, lambda n: http_json(f"{base}/{n}/json"), ignore, jobs=args.jobs
            )
            source = base
    except (SourceError, OSError) as e:
        print(tr(f"审计失败：{e}", f"audit failed: {e}"), file=sys.stderr)
        return 2

    accepted = [m for m in missing if m.package in policy.not_audited]
    refused = [m for m in missing if m.package not in policy.not_audited]
    print(
        tr(
            f"已检查 {len(have)} 个发行包（来源：{source}）：{len(found)} 个已知漏洞，"
            f"{len(missing)} 个无法审计（其中 {len(accepted)} 个已按策略接受）",
            f"{len(have)} distributions checked against {source}: {len(found)} known vulnerabilities, "
            f"{len(missing)} not audited ({len(accepted)} of them accepted by the policy)",
        )
    )
    for f in found:
        fixed = ", ".join(f.fixed)
        fix = tr(f"修复于 {fixed}", f"fixed in {fixed}") if fixed else tr("尚无修复版本", "no fix released")
        also = ", ".join(f.aliases)
        print(
            tr(
                f"漏洞  {f.package} {f.version}：{f.advisory}（{also + '；' if also else ''}{fix}）— {f.summary}",
                f"VULN  {f.package} {f.version}: {f.advisory} ({also + '; ' if also else ''}{fix}) — {f.summary}",
            )
        )
    for m in refused:
        print(
            tr(
                f"未审计  {m.package} {m.version}：{m.reason}",
                f"NOT AUDITED  {m.package} {m.version}: {m.reason}",
            )
        )
    for m in accepted:
        print(
            tr(
                f"未审计（已接受）  {m.package} {m.version}：{m.reason}",
                f"not audited (accepted)  {m.package} {m.version}: {m.reason}",
            )
        )
    if refused:
        print(
            tr(
                "升级到最新版本即可审计（.venv/bin/python -m pip install --upgrade --upgrade-strategy eager -e "
                "'.[dev,spark]'），或在 docs/reliability.md 的 Dependency audit 表中按策略接受（not-audited）",
                "upgrade to the latest release to audit them (.venv/bin/python -m pip install --upgrade "
                "--upgrade-strategy eager -e '.[dev,spark]'), or accept them by the policy (a not-audited row in "
                "the Dependency audit table of docs/reliability.md)",
            )
        )
    for err in policy.errors:
        print(tr(f"策略错误：{err}", f"POLICY  {err}"))
    return 1 if found or refused or policy.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
