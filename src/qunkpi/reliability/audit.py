"""Offline dependency audit: the installed distributions against a local copy of the OSV database for PyPI.

For machines that cannot reach an advisory service (``pip-audit`` needs PyPI's per-version JSON API or
api.osv.dev). Download the database where there is network access and carry it over::

    curl -LO https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip
    .venv/bin/python -m qunkpi.reliability.audit all.zip [--ignore GHSA-xxxx ...]

Exit status 1 when an installed version is affected by an advisory not ignored (see the policy in
docs/reliability.md), 2 when the database cannot be read. Matching follows the OSV schema: an explicit
``versions`` list, or ``ranges`` of type ECOSYSTEM with ``introduced`` / ``fixed`` / ``last_affected`` events.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version


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


def installed() -> dict[str, str]:
    out: dict[str, str] = {}
    for d in metadata.distributions():
        name = d.name
        if name:
            out[normalise(name)] = d.version
    return out


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Audit installed packages against a local OSV database (offline)"
    )
    ap.add_argument("database", type=Path, help="OSV PyPI all.zip, or a folder of OSV JSON files")
    ap.add_argument("--ignore", action="append", default=[], help="advisory id (or alias) accepted by policy")
    args = ap.parse_args(argv)
    try:
        recs = list(records(args.database))
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        print(f"cannot read the advisory database {args.database}: {e}", file=sys.stderr)
        return 2
    have = installed()
    found = audit(recs, have, set(args.ignore))
    print(f"{len(have)} installed distributions checked against {len(recs)} advisories")
    for f in found:
        fix = ", ".join(f.fixed) or "no fix released"
        print(f"{f.package} {f.version}: {f.advisory} ({', '.join(f.aliases)}) fixed in {fix} — {f.summary}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
