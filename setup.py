"""pullcheck's build: everything is declared in pyproject.toml except the compiled module.

`pullcheck.phrase_matcher` (the phrase search every judgement runs, about half of its time on a
long draft) is compiled to C with mypyc, which ships with mypy: the same typed Python source,
run ~1.6x as fast (python benchmarks/phrase_find.py, docs/benchmarks.md). Where it cannot be
compiled (no C compiler), or with PULLCHECK_PURE_PYTHON=1, pullcheck installs as plain Python
and works the same, slower; `pullcheck.compiled` keeps an out-of-date compiled copy in an
editable checkout from running.
"""

from __future__ import annotations

import os

from setuptools import Extension, setup

# Paths of the modules to compile (their names: pullcheck.compiled.COMPILED_MODULES).
COMPILED = ["addon/pullcheck/phrase_matcher.py"]


def compiled_modules() -> list[Extension]:
    if os.environ.get("PULLCHECK_PURE_PYTHON"):
        return []
    from mypyc.build import mypycify

    extensions = mypycify(COMPILED, opt_level="3")
    for extension in extensions:
        # A failed C build skips the module (the source runs) instead of failing the install.
        extension.optional = True
    return extensions


setup(ext_modules=compiled_modules())
