"""Great Expectations, imported without pyspark.

GX imports pyspark whenever it is installed (the Spark engine's dependency group, which
`make test` installs): that costs a second or two, and pyspark's Spark Connect package ends the
process (``sys.exit(0)``, "Skipping doctests") when the main module has no file - as in
pytest-xdist's workers or ``python -c`` - taking it for a doctest run. parkpi never hands GX a
Spark DataFrame, so GX is imported with pyspark hidden; pyspark stays importable afterwards for
whoever needs it (``orchestration/lib/spark.py`` looks it up).

Every module of ``quality`` that imports GX calls :func:`import_gx` first.
"""

from __future__ import annotations

import sys
from types import ModuleType


def import_gx() -> ModuleType:
    """The ``great_expectations`` package, imported (once) with pyspark hidden from it."""
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    hide = "pyspark" not in sys.modules
    if hide:
        sys.modules["pyspark"] = None  # an import of pyspark now raises ImportError, which GX expects
    try:
        import great_expectations
    finally:
        if hide and sys.modules.get("pyspark", ...) is None:
            del sys.modules["pyspark"]
    return great_expectations
