"""The fixture folder holds exactly the files its two lists name (ENDPOINTS.md for the per-site
operations, README.md for pullcheck's own), so a lost fixture fails instead of shrinking the
parametrized site tests."""

from __future__ import annotations

import re

import pytest
from site_fixtures import FIXTURES, SITES, MissingFixtures, family_names, fixture_names

NAMED = re.compile(r"`([a-z0-9_]+\.json)`")


def named_in(document: str) -> set[str]:
    return set(NAMED.findall((FIXTURES / document).read_text(encoding="utf-8")))


def test_every_fixture_the_lists_name_is_in_the_folder() -> None:
    present = {path.name for path in FIXTURES.glob("*.json")}
    missing = (named_in("ENDPOINTS.md") | named_in("README.md")) - present
    assert not missing, f"named but missing from {FIXTURES}: {sorted(missing)}"


def test_every_fixture_in_the_folder_is_named_by_a_list() -> None:
    present = {path.name for path in FIXTURES.glob("*.json")}
    unlisted = present - named_in("ENDPOINTS.md") - named_in("README.md")
    assert not unlisted, f"add these to tests/fixtures/README.md or ENDPOINTS.md: {unlisted}"


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("direction", ["outgoing_request", "incoming_response"])
def test_every_site_has_compose_and_read_fixtures(site: str, direction: str) -> None:
    assert fixture_names(site, direction)


def test_asking_for_fixtures_that_are_not_there_is_an_error() -> None:
    with pytest.raises(MissingFixtures, match="nosuchsite_"):
        family_names("nosuchsite_")


def test_x_api_fixtures_are_left_to_their_own_tests() -> None:
    assert not [name for name in fixture_names("x") if name.startswith("x_api_")]
    assert family_names("x_api_")
