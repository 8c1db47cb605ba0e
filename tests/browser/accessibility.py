"""axe-core in the browser: the page as rendered is checked against WCAG 2.1 A/AA rules.

``axe.min.js`` is axe-core 4.14.1 from npm (MPL-2.0, its licence header kept),
vendored so the check runs on a clean machine with only what the Makefile
installs. It is evaluated through the DevTools protocol, which the pages'
strict Content-Security-Policy does not apply to, so the pages stay as served.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).with_name("axe.min.js")
RESULTS = Path(__file__).resolve().parents[2] / "test-output" / "accessibility.jsonl"
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def axe_violations(page, name: str) -> list[dict]:
    """Run axe on the page; record a line per page in test-output/accessibility.jsonl; the violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("options => axe.run(document, options)", RULES)
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(json.dumps({"page": name, "url": page.url, "violations": violations}) + "\n")
    return violations


def serious(violations: list[dict]) -> list[dict]:
    """Only the violations axe rates serious or critical."""
    return [v for v in violations if v["impact"] in ("serious", "critical")]
