"""Every SQLite file in the data folder is created private and readable while written."""

import stat

from pullcheck.localdb import open_private_db
from pullcheck.opportunities import OpportunityLog
from pullcheck.sentlog import SqliteSentLog
from pullcheck.stats import StatsStore


def test_a_new_database_is_created_readable_by_its_owner_only(tmp_path):
    db = open_private_db(tmp_path / "sub" / "x.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert stat.S_IMODE((tmp_path / "sub" / "x.sqlite3").stat().st_mode) == 0o600


def test_sent_log_stats_and_opportunities_files_are_all_private(tmp_path):
    stores = [
        SqliteSentLog.in_data_dir(tmp_path, retention_days=30),
        StatsStore.in_data_dir(tmp_path),
        OpportunityLog(tmp_path / "opportunities.sqlite3"),
    ]
    for store in stores:
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600, store.path
        store.close()
