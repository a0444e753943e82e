"""Every SQLite file in the data folder is created private and readable while written."""

import logging
import os
import sqlite3
import stat

import pytest
from pullcheck.localdb import SqliteStore, is_in_memory, open_private_db
from pullcheck.opportunities import OpportunityLog
from pullcheck.proxy.state import ProxyState
from pullcheck.sentlog import SqliteSentLog
from pullcheck.stats import StatsStore


def test_a_new_database_is_created_readable_by_its_owner_only(tmp_path):
    db = open_private_db(tmp_path / "sub" / "x.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert stat.S_IMODE((tmp_path / "sub" / "x.sqlite3").stat().st_mode) == 0o600


def test_sent_log_stats_and_opportunities_files_are_all_private(tmp_path):
    stores: list[SqliteStore] = [
        SqliteSentLog.in_data_dir(tmp_path, retention_days=30),
        StatsStore.in_data_dir(tmp_path),
        OpportunityLog(tmp_path / "opportunities.sqlite3"),
    ]
    for store in stores:
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600, store.path
        store.close()


# --- a bad data folder never stops the proxy ---------------------------------------------------

GARBAGE = b"this is not a database, it is a text file someone saved here\n" * 40


def test_a_corrupt_database_is_moved_aside_and_recreated(tmp_path, caplog):
    path = tmp_path / "sent.sqlite3"
    path.write_bytes(GARBAGE)
    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        db = open_private_db(path, "CREATE TABLE t (x INTEGER);")
    db.execute("INSERT INTO t VALUES (1)")
    assert not is_in_memory(db)
    db.close()
    moved = list(tmp_path.glob("sent.sqlite3.corrupt-*"))
    assert len(moved) == 1
    assert moved[0].read_bytes() == GARBAGE
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(path) in warnings[0]
    assert moved[0].name in warnings[0]


def test_a_folder_that_cannot_be_created_gives_an_in_memory_store(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        db = open_private_db(blocker / "data" / "x.sqlite3", "CREATE TABLE t (x INTEGER);")
    db.execute("INSERT INTO t VALUES (1)")
    assert is_in_memory(db)
    assert any("in memory" in r.getMessage() for r in caplog.records)


def test_a_read_only_folder_gives_an_in_memory_store(tmp_path, monkeypatch, caplog):
    # Tests run as root, for whom chmod 0500 does not stop writes: fail where SQLite opens the
    # file, with the error SQLite gives for a read-only folder.
    real_connect = sqlite3.connect

    def read_only(target, *args, **kwargs):
        if str(target) != ":memory:":
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        log = SqliteSentLog.in_data_dir(tmp_path, retention_days=30)
    assert log.in_memory
    assert list(tmp_path.glob("*.corrupt-*")) == []  # a read-only file is not corrupt
    assert any("readonly" in r.getMessage() for r in caplog.records)
    log.close()


def test_the_proxy_state_opens_over_a_garbage_sent_log(tmp_path, caplog):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sent.sqlite3").write_bytes(GARBAGE)
    (data / "stats.sqlite3").write_bytes(GARBAGE)
    with caplog.at_level(logging.WARNING, logger="pullcheck"):
        state = ProxyState.open(tmp_path / "config.yaml", data, 1 << 20)
    try:
        assert len(state.sent_log) == 0
        assert not state.sent_log.in_memory
        assert len(list(data.glob("sent.sqlite3.corrupt-*"))) == 1
        assert len(list(data.glob("stats.sqlite3.corrupt-*"))) == 1
    finally:
        state.close()


def test_the_proxy_state_opens_when_the_data_folder_is_unusable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    state = ProxyState.open(tmp_path / "config.yaml", blocker / "data", 1 << 20)
    try:
        assert state.sent_log.in_memory
        assert state.tally is not None
        assert state.tally.stats.in_memory
    finally:
        state.close()


# --- private folder and files, also when they already existed wider ----------------------------


def test_an_existing_wide_data_folder_and_database_are_tightened_at_open(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "stats.sqlite3"
    open_private_db(path).close()
    path.chmod(0o644)
    StatsStore(path).close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.getuid() != 0, reason="needs a folder owned by someone else")
def test_a_folder_owned_by_someone_else_is_left_as_it_is(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    os.chown(folder, 12345, 12345)
    open_private_db(folder / "x.sqlite3").close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
