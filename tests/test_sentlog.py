"""SqliteSentLog: signatures of what went out, never the text; survives restarts; forgettable."""

from __future__ import annotations

import importlib.util
import stat
import threading
import time

import pytest
from pullcheck.history import SentRecord
from pullcheck.models import Draft
from pullcheck.sentlog import FILE_NAME, SqliteSentLog
from pullcheck.signature import link_domains, similarity_signature

TEXT = "Grab our bakery website bundle at https://acme-webworks.example/deal before Friday!"
DAY = 86400


def record_of(text: str, recipients: tuple[str, ...], when: float | None = None) -> SentRecord:
    return SentRecord(
        time=time.time() if when is None else when,
        platform="x",
        kind="dm",
        recipients=recipients,
        link_domains=tuple(link_domains(text)),
        signature=similarity_signature(text),
    )


def all_bytes(folder) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


def test_near_duplicates_to_other_people_are_found(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)
    log.record(record_of(TEXT, ("alice",)))
    log.record(record_of(TEXT.replace("Friday", "Saturday"), ("bob",)))
    log.record(record_of("Lovely weather for a walk by the river this morning", ("carol",)))
    found = log.recipients_of_similar("x", similarity_signature(TEXT), 0, max_distance=10)
    assert found == {"alice", "bob"}


def test_other_platforms_and_older_sends_are_not_counted(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)
    old = time.time() - 3 * DAY
    log.record(record_of(TEXT, ("old-alice",), when=old))
    mastodon = record_of(TEXT, ("mallory",))
    log.record(SentRecord(**{**mastodon.__dict__, "platform": "mastodon"}))
    since = time.time() - DAY
    assert log.recipients_of_similar("x", similarity_signature(TEXT), since, 3) == set()


def test_sends_in_another_scope_of_the_platform_are_not_counted(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)
    elsewhere = record_of(TEXT, ("mallory",))
    log.record(SentRecord(**{**elsewhere.__dict__, "scope": "evil.example:443"}))
    log.record(record_of(TEXT, ("alice",)))
    signature = similarity_signature(TEXT)
    assert log.recipients_of_similar("x", signature, 0, 3) == {"alice"}
    assert log.recipients_of_similar("x", signature, 0, 3, scope="evil.example:443") == {"mallory"}
    reopened = SqliteSentLog(tmp_path / FILE_NAME)
    assert {r.scope for r in reopened.records()} == {"", "evil.example:443"}


def test_a_sent_log_from_before_scopes_opens_with_its_rows_in_the_configured_scope(tmp_path):
    import sqlite3

    path = tmp_path / FILE_NAME
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE sent (time REAL NOT NULL, platform TEXT NOT NULL, kind TEXT NOT NULL,"
        " recipients TEXT NOT NULL, link_domains TEXT NOT NULL, signature INTEGER NOT NULL)"
    )
    old.execute(
        "INSERT INTO sent VALUES (?, 'x', 'dm', '[\"alice\"]', '[]', ?)",
        (time.time(), similarity_signature(TEXT) & ((1 << 63) - 1)),
    )
    old.commit()
    old.close()
    log = SqliteSentLog(path)
    assert [r.scope for r in log.records()] == [""]
    log.record(record_of(TEXT, ("bob",)))
    assert len(log) == 2


def test_a_full_64_bit_signature_round_trips(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)
    top = (1 << 64) - 1
    log.record(SentRecord(time.time(), "x", "dm", ("a",), (), top))
    assert log.records()[0].signature == top
    assert log.recipients_of_similar("x", top, 0, 0) == {"a"}


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        (
            "Hi @ann, thanks for following! Visit https://acme.example/shop?ref=ann for 20% off",
            0x480B3E0011262001,
        ),
        ("We offer web design for small businesses, starting at $499.", 0x9A34A9A142CD001C),
        ("short", 0xCA30276BA1608C63),
        ("", 0),
        ("Über café — naïve résumé, 100% ünïcödé text with émojis 🎉🎉", 0x724DE15DC33AC61),
    ],
)
def test_signatures_stay_what_earlier_versions_wrote(text, signature):
    # A sent log written by an earlier run is compared with today's signatures: a faster way
    # to compute them must give the same bits.
    assert similarity_signature(text) == signature


def test_the_file_never_contains_the_text(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)
    for i in range(20):
        log.record(record_of(TEXT, (f"user{i}",)))
    log.close()
    stored = all_bytes(tmp_path)
    assert b"bakery" not in stored
    assert b"Grab our" not in stored
    assert b"acme-webworks.example" in stored  # link domains are kept, on purpose


@pytest.mark.skipif(
    importlib.util.find_spec("pullcheck.engine") is None, reason="engine not built yet"
)
def test_the_engine_records_sends_without_their_text(tmp_path):
    from pullcheck.config import Config
    from pullcheck.engine_factory import build_engine

    log = SqliteSentLog(tmp_path / FILE_NAME)
    engine = build_engine(Config(), log)
    draft = Draft(platform="x", kind="dm", text=TEXT, recipients=["alice"])
    engine.record_sent(draft)
    log.close()
    stored = all_bytes(tmp_path)
    assert len(SqliteSentLog(tmp_path / FILE_NAME)) == 1
    assert b"bakery" not in stored
    assert b"before Friday" not in stored


def test_records_survive_a_restart(tmp_path):
    path = tmp_path / FILE_NAME
    log = SqliteSentLog(path)
    log.record(record_of(TEXT, ("alice",)))
    log.close()
    again = SqliteSentLog(path)
    assert again.recipients_of_similar("x", similarity_signature(TEXT), 0, 3) == {"alice"}


def test_opening_prunes_what_is_past_the_retention_window(tmp_path):
    path = tmp_path / FILE_NAME
    log = SqliteSentLog(path, retention_days=30)
    log.record(record_of(TEXT, ("ancient",), when=time.time() - 40 * DAY))
    log.record(record_of(TEXT, ("recent",), when=time.time() - 2 * DAY))
    log.close()
    again = SqliteSentLog(path, retention_days=30)
    assert [r.recipients for r in again.records()] == [("recent",)]


def test_a_shorter_window_hides_older_records_even_before_pruning(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME, retention_days=30, prune_every_s=10_000)
    log.record(record_of(TEXT, ("week-old",), when=time.time() - 7 * DAY))
    log.retention_days = 1
    assert log.recipients_of_similar("x", similarity_signature(TEXT), 0, 3) == set()


def test_forget_wipes_everything_including_the_write_ahead_log(tmp_path):
    path = tmp_path / FILE_NAME
    log = SqliteSentLog(path)
    for i in range(50):
        log.record(record_of(TEXT, (f"recipient-{i}",)))
    assert log.forget() == 50
    assert len(log) == 0
    log.close()
    assert b"recipient-1" not in all_bytes(tmp_path)
    assert len(SqliteSentLog(path)) == 0


def test_the_file_is_private_to_the_user(tmp_path):
    path = tmp_path / "deeper" / FILE_NAME
    SqliteSentLog(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_concurrent_writers_lose_nothing(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)

    def write(n: int) -> None:
        for i in range(50):
            log.record(record_of(TEXT, (f"t{n}-{i}",)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(log) == 200


def test_records_can_be_read_back_by_platform(tmp_path):
    log = SqliteSentLog(tmp_path / FILE_NAME)
    log.record(record_of(TEXT, ("alice", "bob")))
    (only,) = log.records("x")
    assert only.recipients == ("alice", "bob")
    assert only.link_domains == ("acme-webworks.example",)
    assert log.records("bluesky") == []


def test_a_day_keeps_at_most_max_per_day_rows_and_says_so_once(tmp_path, caplog):
    log = SqliteSentLog(tmp_path / FILE_NAME, max_per_day=5)
    now = time.time()
    with caplog.at_level("WARNING", logger="pullcheck"):
        for n in range(12):
            log.record(SentRecord(now, "x", "dm", (f"u{n}",), (), n))
    assert len(log) == 5
    assert len([r for r in caplog.records if "most kept in a day" in r.getMessage()]) == 1
    log.close()
    reopened = SqliteSentLog(tmp_path / FILE_NAME, max_per_day=5)
    reopened.record(SentRecord(now, "x", "dm", ("late",), (), 99))
    assert len(reopened) == 5  # the day's count is read back from the file
    reopened.close()
