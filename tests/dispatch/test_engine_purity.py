"""The engine is pure: no dispatch.engine module loads the web or database stack."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import dispatch.engine

FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_smorest", "sqlalchemy", "booking")


def engine_modules() -> list[str]:
    """Every module of the dispatch.engine package, found on disk."""
    path = [str(Path(dispatch.engine.__file__).parent)]
    return ["dispatch.engine"] + [f"dispatch.engine.{m.name}" for m in pkgutil.iter_modules(path)]


def test_engine_has_the_expected_modules():
    """The purity check covers the solver, the validator and the timing function (not an empty package)."""
    names = engine_modules()
    for expected in ("solver", "validation", "timing", "problem", "result"):
        assert f"dispatch.engine.{expected}" in names


def test_no_engine_module_imports_flask_sqlalchemy_or_booking():
    """Importing every engine module in a fresh interpreter loads no Flask, SQLAlchemy or booking module."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {engine_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    leaks = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert leaks == []
