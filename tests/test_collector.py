"""The cyclic collector is paused while a rule pack is built, and only then."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from pullcheck.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_resume_only_when_the_outer_one_ends() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_resumes_the_collector() -> None:
    with pytest.raises(ValueError, match="broken rule"), collector_paused():
        raise ValueError("broken rule")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads_resume_after_the_last() -> None:
    inside = threading.Event()
    release = threading.Event()

    def other_build() -> None:
        with collector_paused():
            inside.set()
            release.wait(timeout=10)

    thread = threading.Thread(target=other_build)
    with collector_paused():
        thread.start()
        assert inside.wait(timeout=10)
    assert not gc.isenabled()  # the other thread's build is still running
    release.set()
    thread.join(timeout=10)
    assert gc.isenabled()
