"""The layout's rules that a grep can check: statuses are spelled only by the state machine."""

from __future__ import annotations

import re
from pathlib import Path

from booking.states import ALL_STATUSES

ROOT = Path(__file__).resolve().parents[1]
_STATUS = "|".join(ALL_STATUSES)
# Two or more status names side by side in a tuple, list or set literal (Python or Jinja).
_GROUP = re.compile(rf"""[\(\[\{{]\s*(['"](?:{_STATUS})['"]\s*,\s*)+['"](?:{_STATUS})['"]""")


def test_groups_of_statuses_are_named_only_in_the_state_machine():
    """A group of statuses ("not started", "done", "on the routes") has one name, in booking/states.py."""
    found = []
    for path in [
        *ROOT.glob("booking/**/*.py"),
        *ROOT.glob("booking/**/*.html"),
        *ROOT.glob("dispatch/**/*.py"),
    ]:
        if path.name == "states.py" or "/engine/" in str(path) or "/bench/" in str(path):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if _GROUP.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
