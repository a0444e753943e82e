"""Text from websites and archives reaches the terminal shown, never obeyed."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from audit_archives import write_x_folder
from pullcheck.cli import main
from pullcheck.opportunities import Opportunity, OpportunityLog
from pullcheck.terminal import PrintableLogRecords, printable

TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
RLO = "\u202e"
C1_CSI = "\x9b31m"


def no_raw_controls(text: str, newlines: bool = True) -> bool:
    allowed = {"\n"} if newlines else set()
    return not any(
        (ord(c) < 0x20 and c not in allowed)
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
        for c in text
    )


@pytest.mark.parametrize("hostile", [TITLE, CLEAR, RLO + "gpj.exe", C1_CSI, "\rb", "\x00b"])
def test_control_and_bidi_characters_are_shown_as_escapes(hostile):
    shown = printable(f"jordan{hostile}")
    assert no_raw_controls(shown, newlines=False)
    assert shown.startswith("jordan\\")


def test_the_title_sequence_reads_as_text():
    assert printable(TITLE) == "\\x1b]0;pwned\\x07"


def test_newlines_are_escaped_unless_they_are_the_printers_own():
    assert printable("one\ntwo") == "one\\x0atwo"
    assert printable("one\ntwo", keep_newlines=True) == "one\ntwo"


def test_ordinary_text_is_unchanged():
    text = "Café, naïve, 日本語, emoji 🍞, tabs\tstay?"
    assert printable(text, keep_newlines=True) == text


def test_log_arguments_are_made_printable_but_numbers_still_format():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PrintableLogRecords())
    logger = logging.getLogger("pullcheck.test-terminal")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "no banner on %s: %r (%d tries, %.1f s)",
            f"http://evil{TITLE}",
            ValueError(f"bad {CLEAR}"),
            3,
            1.5,
        )
        logger.warning(f"preformatted {TITLE}\nsecond line")
        try:
            raise ValueError(f"wire said {TITLE}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert no_raw_controls(out)
    assert "3 tries, 1.5 s" in out
    assert "ValueError" in out
    assert "\\x1b]0;pwned\\x07" in out
    assert "preformatted \\x1b]0;pwned\\x07\nsecond line" in out


def test_the_run_command_guards_mitmproxys_terminal_log():
    from mitmproxy.addons.termlog import TermLogHandler
    from pullcheck.terminal import guard_log_handlers

    stream = io.StringIO()
    handler = TermLogHandler(stream)
    handler.install()
    try:
        guard_log_handlers()
        logging.getLogger("pullcheck").warning("pullcheck: no banner on %s", f"x{TITLE}")
    finally:
        handler.uninstall()
    assert "pwned" in stream.getvalue()
    assert no_raw_controls(stream.getvalue())


def test_opportunities_prints_a_hostile_author_as_text(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path))
    config = tmp_path / "config.yaml"
    config.write_text('offer: ["widgets in Albania"]\n')
    log = OpportunityLog.in_data_dir(tmp_path)
    log.add(
        Opportunity(f"42{CLEAR}", "x", f"jordan{TITLE}{RLO}", 1_780_000_000.0, "widgets in Albania")
    )
    log.close()
    assert main(["opportunities", "--config", str(config), "--days", "100000"]) == 0
    out = capsys.readouterr().out
    assert "jordan\\x1b]0;pwned\\x07\\u202e" in out
    assert no_raw_controls(out)


def test_audit_prints_a_hostile_archive_owner_as_text(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PULLCHECK_CONFIG", raising=False)
    folder = write_x_folder(tmp_path / "twitter", [])
    account = folder / "data" / "account.js"
    prefix, _, document = account.read_text().partition("= ")
    records = json.loads(document)
    records[0]["account"]["username"] = f"acme{TITLE}{RLO}"
    account.write_text(f"{prefix}= {json.dumps(records)}")
    code = main(["audit", str(folder), "--out", str(tmp_path / "report.html")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "acme\\x1b]0;pwned\\x07\\u202e" in out
    assert no_raw_controls(out)
