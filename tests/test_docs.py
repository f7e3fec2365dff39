"""Generated docs must match the schema, the catalog and the CLI (run `make docs` to refresh)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
assert spec and spec.loader
gen_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_docs)


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_generated_doc_is_fresh(name: str) -> None:
    current = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert current == gen_docs.PAGES[name]() + "\n", f"docs/{name} is stale: run `make docs`"


def test_readme_leads_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in text.split("```") if b.strip().startswith(("make", "bash\nmake", "sh\nmake"))]
    first_commands = [line.strip() for b in blocks[:1] for line in b.splitlines() if line.strip().startswith("make")]
    assert first_commands == ["make demo", "make test"]
