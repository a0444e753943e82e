"""Both sent histories answer `recipients_of_similar` through a band index of the signatures,
with the sends grouped by signature: the answer must be what comparing every send finds."""

from __future__ import annotations

import random
import time

import pytest
from pullcheck.history import InMemorySentHistory, NearSignatures, SentRecord
from pullcheck.sentlog import SqliteSentLog

# Indexed distances (0 and PP301's 6), the widest indexed one, and past the index (scanned).
DISTANCES = (0, 6, 15, 16, 30, -1)


def sends(rng: random.Random, count: int, now: float) -> list[SentRecord]:
    """Near-duplicate families (a few bits flipped off four bases, some sent unchanged several
    times) on two platforms and two scopes, over the last two days."""
    bases = [rng.getrandbits(64) for _ in range(4)]
    found = []
    for _ in range(count):
        signature = rng.choice(bases)
        for _ in range(rng.choice((0, 0, 1, 3, 9))):
            signature ^= 1 << rng.randrange(64)
        found.append(
            SentRecord(
                time=now - rng.uniform(0, 2 * 86400),
                platform=rng.choice("xy"),
                kind="dm",
                recipients=tuple(f"u{rng.randrange(40)}" for _ in range(rng.randrange(1, 3))),
                link_domains=(),
                signature=signature,
                scope=rng.choice(("", "", "social.example")),
            )
        )
    return found


def scanned(
    kept: list[SentRecord], probe: int, since: float, distance: int, scope: str
) -> set[str]:
    return {
        person
        for sent in kept
        if sent.time >= since
        and sent.platform == "x"
        and sent.scope == scope
        and (sent.signature ^ probe).bit_count() <= distance
        for person in sent.recipients
    }


def probes(rng: random.Random, kept: list[SentRecord]) -> list[int]:
    """Signatures of sends, a bit or a few away from them, and unrelated ones."""
    chosen = [rng.choice(kept).signature for _ in range(6)]
    return (
        chosen
        + [signature ^ 1 << rng.randrange(64) for signature in chosen]
        + [signature ^ rng.getrandbits(64) & rng.getrandbits(64) for signature in chosen]
        + [rng.getrandbits(64)]
    )


@pytest.mark.parametrize("seed", range(4))
def test_in_memory_lookups_find_what_comparing_every_send_finds(seed: int) -> None:
    rng = random.Random(seed)
    now = time.time()
    history = InMemorySentHistory(max_records=120)
    recorded: list[SentRecord] = []
    for batch in range(4):
        for sent in sends(rng, 60, now):
            history.record(sent)
            recorded.append(sent)
        kept = recorded[-history.max_records :]  # the oldest were evicted
        for probe in probes(rng, kept):
            for distance in DISTANCES:
                for scope in ("", "social.example"):
                    since = now - 86400 * (batch % 3)
                    expected = scanned(kept, probe, since, distance, scope)
                    found = history.recipients_of_similar("x", probe, since, distance, scope)
                    assert found == expected


@pytest.mark.parametrize("seed", range(3))
def test_sqlite_lookups_find_what_comparing_every_row_finds(tmp_path, seed: int) -> None:
    rng = random.Random(seed)
    now = time.time()
    log = SqliteSentLog(tmp_path / "sent.sqlite3", retention_days=1.5)
    for sent in sends(rng, 150, now):
        log.record(sent)
    # Half a day of the sends is past the retention window: hidden before pruning, then gone.
    for prune in (False, True):
        if prune:
            log.prune()
        kept = log.records()
        retention_start = time.time() - 1.5 * 86400
        for probe in probes(rng, kept):
            for distance in DISTANCES:
                for scope in ("", "social.example"):
                    since = now - 86400
                    expected = scanned(kept, probe, max(since, retention_start), distance, scope)
                    found = log.recipients_of_similar("x", probe, since, distance, scope)
                    assert found == expected
    log.close()


def test_a_signature_leaves_the_index_with_its_last_send() -> None:
    history = InMemorySentHistory(max_records=2)
    first = SentRecord(1.0, "x", "dm", ("ann",), (), 0xABCDEF)
    history.record(first)
    history.record(first)
    history.record(SentRecord(2.0, "x", "dm", ("bob",), (), 0x123456))
    # One copy of the first send is still held; the next send evicts it.
    assert history.recipients_of_similar("x", 0xABCDEF, 0, 0) == {"ann"}
    history.record(SentRecord(3.0, "x", "dm", ("cat",), (), 0x123456))
    assert history.recipients_of_similar("x", 0xABCDEF, 0, 6) == set()


def test_near_signatures_are_found_by_band_and_by_scan_alike() -> None:
    rng = random.Random(5)
    signatures = NearSignatures()
    held = {rng.getrandbits(64) for _ in range(200)}
    for signature in held:
        signatures.add(signature)
    probe = next(iter(held)) ^ 0b1011
    for distance in (3, 6, 15, 16):
        expected = {other for other in held if (other ^ probe).bit_count() <= distance}
        assert signatures.near(probe, distance) == expected
