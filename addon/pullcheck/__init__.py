"""pullcheck: catch push marketing in social-media drafts and nudge the writer toward pull."""

__version__ = "0.1.0"
