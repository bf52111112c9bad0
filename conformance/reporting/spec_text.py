"""Each rule's text as SPEC.md states it, for the HTML report (shown on expand).

The texts are kept in ``spec_rules.json`` beside this module, so that an installed suite has
them without SPEC.md; ``tests/reporting/test_html.py`` fails when the file and SPEC.md differ.
Regenerate with ``python -m conformance.reporting.spec_text SPEC.md``.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

STORE = Path(__file__).resolve().parent / "spec_rules.json"
_HEAD = re.compile(r"\*\*([A-Z]+-\d+)\. ")


def extract(spec: str) -> dict[str, str]:
    """Rule ID -> its paragraph in SPEC.md (Markdown, joined on one line)."""
    found: dict[str, str] = {}
    for paragraph in spec.split("\n\n"):
        head = _HEAD.match(paragraph.strip())
        if head:
            found[head.group(1)] = " ".join(paragraph.split())
    return found


@cache
def spec_text() -> dict[str, str]:
    """The stored texts (empty when the file is missing)."""
    if not STORE.exists():
        return {}
    loaded: dict[str, str] = json.loads(STORE.read_text("utf-8"))
    return loaded


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m conformance.reporting.spec_text SPEC.md", file=sys.stderr)
        return 2
    texts = extract(Path(argv[0]).read_text("utf-8"))
    STORE.write_text(json.dumps(texts, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"{len(texts)} rules written to {STORE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
