"""One module per `pullcheck` sub-command.

Each module defines `register(subparsers)`, which adds its parser and sets `func`, a callable
taking the parsed arguments and returning the exit code. Add a new command's module name to
COMMANDS; the order here is the order of `pullcheck --help`.
"""

COMMANDS: list[str] = [
    "run",
    "check",
    "rules",
    "explain",
    "eval",
    "config",
    "forget",
    "audit",
    "stats",
    "demo",
    "opportunities",
    "holds",
]

# Sub-commands that a module registers besides its own: the word, and the module that adds it.
REGISTERED_BY: dict[str, str] = {"decide": "holds"}
