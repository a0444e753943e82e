"""Where pullcheck keeps things by default: the config file and the data folder (the sent
log, the "Not push" list, the stores). Environment variables first, then the XDG folders."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """$PULLCHECK_DATA_DIR, else $XDG_DATA_HOME/pullcheck, else ~/.local/share/pullcheck."""
    if os.environ.get("PULLCHECK_DATA_DIR"):
        return Path(os.environ["PULLCHECK_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "pullcheck"


def default_config_path() -> Path:
    """$PULLCHECK_CONFIG, else $XDG_CONFIG_HOME/pullcheck/config.yaml (~/.config by default)."""
    if os.environ.get("PULLCHECK_CONFIG"):
        return Path(os.environ["PULLCHECK_CONFIG"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base).expanduser() / "pullcheck" / "config.yaml"
