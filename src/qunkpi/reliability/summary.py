"""Add up the generated-case counts the reliability tests wrote (``cases-*.json``): ``python -m qunkpi.reliability.summary DIR``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def totals(folder: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for f in sorted(folder.glob("cases-*.json")):
        out.update({str(k): int(v) for k, v in json.loads(f.read_text(encoding="utf-8")).items()})
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "reliability-out")
    t = totals(folder)
    if not t:
        print(f"no case counts under {folder}")
        return 1
    width = max(len(k) for k in t) + 2
    for name, n in sorted(t.items()):
        print(f"{name:<{width}} {n:>8}")
    print(f"{'total':<{width}} {sum(t.values()):>8}")
    (folder / "cases.json").write_text(
        json.dumps(dict(sorted(t.items())), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
