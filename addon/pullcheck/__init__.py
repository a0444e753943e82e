"""pullcheck: catch push marketing in social-media drafts and nudge the writer toward pull."""

from pathlib import Path

from pullcheck.compiled import prefer_current_source

__version__ = "0.1.0"

# Before any module is imported: an out-of-date compiled module must not run (see `compiled`).
prefer_current_source(__name__, Path(__file__).parent)
