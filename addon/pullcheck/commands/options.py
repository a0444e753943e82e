"""Options several sub-commands share (`--config`, `--fail-on`) and the config they load.

Exit codes are the same for every command: 0 fine, 1 something reached `--fail-on`, 2 bad usage
or an invalid config (the error on stderr names file, line and key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pullcheck.config import Config, ConfigError, load_config

EXIT_OK = 0
EXIT_FLAGGED = 1
EXIT_USAGE = 2

LEVELS = ("info", "warning", "error")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="config file (default: $PULLCHECK_CONFIG or ~/.config/pullcheck/config.yaml, "
        "if it exists)",
    )


def add_fail_on_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        choices=LEVELS,
        default="warning",
        help="lowest level that counts as flagged (exit 1 / flagged row); default: warning",
    )


def load_cli_config(args: argparse.Namespace) -> Config | None:
    """The config named by --config (must exist) or the default one (may be absent).

    Prints the error and returns None when the config is invalid."""
    try:
        return load_config(args.config) if args.config else load_config(None)
    except ConfigError as error:
        print(f"pullcheck: invalid config\n{error}", file=sys.stderr)
        return None
