"""Django set-up for the bench scripts: run them from the repository root with the bench database,
e.g. `DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python bench/search.py`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
    os.environ.setdefault("DEBUG", "1")
    url = os.environ.get("DATABASE_URL", "")
    if not url.rstrip("/").endswith("ww_bench") and "--any-db" not in sys.argv:
        sys.exit(
            "refusing to run: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench (or pass --any-db)"
        )
    import django

    django.setup()
