"""What a website can make the proxy remember or store, through a real mitmproxy.

A fake "real" site plays a watched host (configured); a second fake site on another port plays
a hostile origin the user never configured. What must hold: the hostile origin teaches nothing
that a draft on the real host uses; every store it can reach stays bounded; and a broken data
folder never keeps the proxy from proxying.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from proxy_harness import RunningProxy, Upstream, fetch
from pullcheck.localdb import is_in_memory

JSON = {"content-type": "application/json"}
GARBAGE = b"\x00garbage, not SQLite\n" * 200


@pytest.fixture
def site():
    upstream = Upstream()
    yield upstream
    upstream.close()


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "default-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def write_config(folder: Path, body: str) -> Path:
    config = folder / "config.yaml"
    config.write_text(body)
    return config


def start(tmp_path: Path, config: str, data: Path | None = None, **options) -> RunningProxy:
    return RunningProxy(
        pullcheck_config=str(write_config(tmp_path, config)),
        pullcheck_data_dir=str(data or tmp_path / "data"),
        confdir=str(tmp_path / "mitmproxy"),
        **options,
    ).start()


def plain_config(site: Upstream, mode: str = "warn") -> str:
    return (f"mode: {mode}\nhold_at: warning\nsites:\n"
            f"  mastodon: {{hosts: ['{site.address}']}}\n")


# --- a broken data folder (issue 11.4) -----------------------------------------------------------


@pytest.mark.timeout(60)
def test_the_proxy_starts_and_proxies_over_a_garbage_sent_log(tmp_path, site, caplog):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sent.sqlite3").write_bytes(GARBAGE)
    with caplog.at_level(logging.WARNING, logger="pullcheck"), \
            start(tmp_path, plain_config(site), data) as proxy:
        status, _, _ = fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        sent_log = proxy.addon.state.sent_log
        on_disk = not is_in_memory(sent_log._db)
    assert status == 200
    assert on_disk
    moved = list(data.glob("sent.sqlite3.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == GARBAGE
    said = [r.getMessage() for r in caplog.records if "sent.sqlite3" in r.getMessage()]
    assert len(said) == 1


@pytest.mark.timeout(60)
def test_the_proxy_starts_and_proxies_when_the_data_folder_is_a_path_through_a_file(
        tmp_path, site, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    with caplog.at_level(logging.WARNING, logger="pullcheck"), \
            start(tmp_path, plain_config(site), blocker / "data") as proxy:
        status, _, _ = fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        in_memory = is_in_memory(proxy.addon.state.sent_log._db)
    assert status == 200
    assert in_memory
    assert any("in memory" in r.getMessage() for r in caplog.records)


@pytest.mark.timeout(60)
def test_the_proxy_starts_and_proxies_when_the_data_folder_is_read_only(
        tmp_path, site, monkeypatch):
    # As root, chmod 0500 does not stop writes; make SQLite fail at the seam where it opens a
    # file in a read-only folder, with the error it gives there.
    real_connect = sqlite3.connect

    def read_only(target, *args, **kwargs):
        if str(target) != ":memory:":
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with start(tmp_path, plain_config(site)) as proxy:
        status, _, _ = fetch(proxy, "GET", f"http://{site.address}/api/v1/timelines/home")
        state = proxy.addon.state
        stores = [state.sent_log._db, state.tally.stats._db, state.tally.opportunities._db]
        in_memory = [is_in_memory(db) for db in stores]
    assert status == 200
    assert in_memory == [True, True, True]
