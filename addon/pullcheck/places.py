"""Where pullcheck keeps things by default: the config file, the data folder (the sent log, the
"Not push" list, the stores) and the cache (the shipped rule pack, built). Environment variables
first, then the XDG folders."""

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


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/pullcheck, else ~/.cache/pullcheck: what can be built again if lost."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "pullcheck"
