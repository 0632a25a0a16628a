"""The application code's import graph has no cycles (scripts/check_import_cycles.py), and the
checker finds the cycles it should: top-level and function-level imports, relative imports, `from
package import module`, and not the imports made for type checkers only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_import_cycles.py"


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_application_has_no_import_cycles():
    result = run(ROOT)
    assert result.returncode == 0, f"import cycles:\n{result.stdout}{result.stderr}"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_the_checker_finds_cycles_through_function_level_and_relative_imports(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": """
                def definition():
                    from app import policy  # a module: the edge goes to app.policy
                    return policy
            """,
            "app/policy.py": "from .models import definition\n",
            "app/views.py": """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from app.services import Service  # for type checkers only: no edge
            """,
            "app/services.py": "import app.views\nfrom app import helpers\n",
            "app/helpers.py": "X = 1\n",
        },
    )
    result = run(tmp_path, "--package", "app")
    assert result.returncode == 1
    assert "app.models -> app.policy -> app.models" in result.stdout
    assert "app/models.py:3 (in definition) imports app.policy" in result.stdout
    assert "app.services" not in result.stdout  # services -> views, and views' import is TYPE_CHECKING only
    assert "1 cycle(s)" in result.stderr


def test_the_checker_passes_a_graph_without_cycles(tmp_path):
    write(
        tmp_path,
        {
            "core/__init__.py": "from core.registry import REGISTRY\n",
            "core/registry.py": "REGISTRY = {}\n",
            "core/models.py": "from core import registry\n",
            "app/__init__.py": "",
            "app/things.py": "from core import REGISTRY  # a name of core's __init__\nfrom core.models import *\n",
        },
    )
    result = run(tmp_path, "--package", "core", "--package", "app")
    assert result.returncode == 0, result.stdout
