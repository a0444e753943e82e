"""`pullcheck audit`: archives judged by the real engine, the report written (or not), the report
opened in real Chromium and screenshotted."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest
from audit_archives import (
    DID,
    OWNER_ID,
    POST,
    bsky_post,
    dm_conversation,
    note,
    outbox,
    tweet,
    write_car,
    write_x_folder,
    zip_folder,
)
from chromium_marks import ARTIFACTS, NEEDS_CHROMIUM
from pullcheck.audit.summary import wording
from pullcheck.cli import main
from pullcheck.demo.stack import CHROMIUM

AUTO_DM = (
    "Thanks for following! Check out my site https://acme-webworks.example "
    "- first consultation free."
)


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULLCHECK_CONFIG", str(tmp_path / "no-config.yaml"))
    monkeypatch.setenv("PULLCHECK_DATA_DIR", str(tmp_path / "data"))


def _x_tweets() -> list[dict]:
    tweets = [
        tweet(
            "10",
            "@jordan Hi Jordan! We build fast websites for bakeries. See https://t.co/p "
            "and DM me for 20% off this week!",
            "Tue Mar 05 10:00:00 +0000 2024",
            reply_to="900",
            reply_to_name="jordan",
            reply_to_user="77",
            mentions=[("jordan", 0)],
            display_start=8,
            urls=[("https://t.co/p", "https://acme-webworks.example/pricing")],
        ),
        tweet(
            "11",
            "@sam Congrats on the new shop, the window display looks lovely",
            "Wed Mar 06 10:00:00 +0000 2024",
            reply_to="901",
            reply_to_name="sam",
            reply_to_user="78",
            mentions=[("sam", 0)],
            display_start=5,
        ),
        tweet(
            "12",
            "Does <b>anyone</b> know a good bakery in town? <script>alert(1)</script>",
            "Thu Mar 07 10:00:00 +0000 2024",
        ),
    ]
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    tweets.extend(
        tweet(
            f"2{month:02d}",
            f"Notes from our workshop, week {month}: keep pages small and fast.",
            f"Mon {months[month - 1]} 0{1 + month % 9} 10:00:00 +0000 2024",
        )
        for month in range(1, 13)
    )
    return tweets


def _x_dms() -> list[dict]:
    return [
        dm_conversation(str(2000 + n), [(OWNER_ID, AUTO_DM, f"2024-0{1 + n % 9}-02T09:00:00Z")])
        for n in range(9)
    ]


@pytest.fixture
def x_archive(tmp_path: Path) -> Path:
    return write_x_folder(tmp_path / "twitter", _x_tweets(), _x_dms())


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_x_archive_is_judged_and_the_report_written(
    x_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = _audit(capsys, str(x_archive), "--out", str(out), "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["items"] == 15 + 9
    assert summary["report"] == str(out)
    assert summary["kinds"]["dm"] == {"items": 9, "push": 9}
    assert summary["kinds"]["post"]["push"] == 0
    worst = summary["worst"][0]
    assert worst["kind"] == "dm"
    assert worst["times"] == 9
    assert worst["text"] == AUTO_DM
    assert any(f["instead"] for f in worst["findings"])
    codes = {rule["code"] for rule in summary["rules"]}
    assert "PP101" in codes  # the auto-DM to new followers
    html = out.read_text()
    assert "Push audit: X archive" in html


FRIENDS = ("alice", "bob", "carol_b", "dan", "erin", "frank")


def _welcome(name: str, n: int) -> str:
    return (
        f"@{name} Thanks for following! Check out my site "
        f"https://acme-webworks.example/?ref={n} - first consultation free."
    )


@pytest.fixture
def welcome_archive(tmp_path: Path) -> Path:
    """Six auto-DMs that differ only by @handle and link, and one message received."""
    dms = [
        dm_conversation(
            str(3000 + n), [(OWNER_ID, _welcome(name, n), f"2024-0{1 + n}-02T09:00:00Z")]
        )
        for n, name in enumerate(FRIENDS)
    ]
    dms.append(
        dm_conversation("4000", [("4000", "Hi, do you build shop sites?", "2024-02-10T09:00:00Z")])
    )
    return write_x_folder(tmp_path / "twitter", _x_tweets(), dms)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("@alice thanks for following!", "@bob thanks for following!"),
        ("@alice@fosstodon.org hi", "@bob.bsky.social hi"),
        ("See https://acme.example/a?x=1 today", "See https://acme.example/b today"),
        ("20% off, 3 days only", "50% off, 10 days only"),
        ("Hello   THERE", "hello there"),
    ],
)
def test_texts_differing_only_by_handles_links_or_numbers_share_a_wording(
    first: str, second: str
) -> None:
    assert wording(first) == wording(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Thanks for following!", "Thanks for the follow!"),
        ("Email me at a@b.example", "Email me at a@b.example today"),
    ],
)
def test_texts_with_other_words_keep_their_own_wording(first: str, second: str) -> None:
    assert wording(first) != wording(second)


def test_auto_dms_differing_by_handle_are_one_example_with_a_count(
    welcome_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = _audit(capsys, str(welcome_archive), "--out", str(out), "--json")
    assert code == 0
    dms = [example for example in json.loads(stdout)["worst"] if example["kind"] == "dm"]
    assert len(dms) == 1
    assert (dms[0]["times"], dms[0]["varied"]) == (6, True)
    assert (dms[0]["first"][:10], dms[0]["last"][:10]) == ("2024-01-02", "2024-06-02")
    html = out.read_text()
    assert html.count('class="example"') == len(json.loads(stdout)["worst"])
    assert (
        "sent 6 times, 2024-01-02 to 2024-06-02, differing only in @handles, links or numbers"
    ) in html


def test_each_rules_instead_is_shown_once_not_under_every_example(
    welcome_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = _audit(capsys, str(welcome_archive), "--out", str(out), "--json")
    assert code == 0
    rules = json.loads(stdout)["rules"]
    html = out.read_text()
    assert "<h2>What to do instead</h2>" in html
    assert html.count("<li>") == len([rule for rule in rules if rule["instead"]]) > 1
    for rule in rules:
        assert html.count(escape(rule["instead"])) == 1, rule["code"]
    assert "Instead:" not in html


def test_one_item_left_out_is_said_in_the_singular(
    welcome_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = _audit(capsys, str(welcome_archive), "--out", str(out))
    assert code == 0
    assert "Left out 1 item that is not your own writing." in stdout
    assert "Left out: 1 item that was not your own writing" in out.read_text()


def test_report_escapes_what_the_archive_holds(
    x_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert _audit(capsys, str(x_archive), "--out", str(out))[0] == 0
    html = out.read_text()
    assert "<script" not in html
    assert "<b>anyone" not in html
    # No file outside the report is needed to show it.
    assert "src=" not in html
    assert "href=" not in html
    assert "@import" not in html


def test_text_summary_names_the_push_share_and_the_report(
    x_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, _ = _audit(capsys, str(x_archive), "--out", str(out))
    assert code == 0
    assert "Audited 24 items from your X archive (acme_webworks)" in stdout
    assert f"Report: {out}" in stdout


def test_zipped_mastodon_export_and_bluesky_car_are_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mastodon"
    folder.mkdir()
    sam = ("@sam@other.example", "https://other.example/users/sam")
    (folder / "outbox.json").write_text(
        json.dumps(
            outbox(
                [
                    note(
                        1,
                        f"<p>@sam {AUTO_DM}</p>",
                        "2024-05-03T10:00:00Z",
                        visibility="direct",
                        mentions=[sam],
                    ),
                    note(2, "<p>Our autumn menu is out</p>", "2024-05-04T10:00:00Z"),
                ]
            )
        )
    )
    car = write_car(
        tmp_path / "repo.car",
        {
            f"{POST}/3kaaa": bsky_post(
                "Hi! We build websites, DM me for 20% off today",
                "2024-06-02T10:00:00.000Z",
                reply_parent=f"at://did:plc:someone/{POST}/3zzz",
            ),
            f"{POST}/3kbbb": bsky_post("A calm Sunday", "2024-06-03T10:00:00.000Z"),
        },
    )
    for source, platform in (
        (zip_folder(folder, tmp_path / "export.zip"), "mastodon"),
        (car, "bluesky"),
    ):
        out = tmp_path / f"{platform}.html"
        code, stdout, _ = _audit(capsys, str(source), "--out", str(out), "--json")
        summary = json.loads(stdout)
        assert code == 0
        assert summary["platform"] == platform
        assert summary["items"] == 2
        assert summary["push"] == 1
        assert out.exists()
    assert json.loads(stdout)["owner"] == DID


@pytest.mark.parametrize("damage", ["truncated-tweets", "truncated-zip", "wrong-file"])
def test_unreadable_archive_exits_2_and_writes_nothing(
    damage: str, x_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target: Path = x_archive
    if damage == "truncated-tweets":
        tweets = x_archive / "data" / "tweets.js"
        tweets.write_bytes(tweets.read_bytes()[: len(tweets.read_bytes()) // 2])
    elif damage == "truncated-zip":
        target = zip_folder(x_archive, tmp_path / "twitter.zip")
        target.write_bytes(target.read_bytes()[:-100])
    else:
        target = tmp_path / "photo.png"
        target.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    code, stdout, stderr = _audit(capsys, str(target), "--out", str(out))
    assert code == 2
    assert stdout == ""
    assert stderr.startswith(f"pullcheck audit: {target}")
    assert list(out.parent.iterdir()) == []


@NEEDS_CHROMIUM
def test_report_in_chromium_is_clear_at_a_glance(
    welcome_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    code, stdout, _ = _audit(capsys, str(welcome_archive), "--out", str(out), "--json")
    assert code == 0
    share = round(100 * json.loads(stdout)["push_share"])
    requests: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--headless",
                "--disable-background-networking",
                "--disable-component-update",
            ],
            timeout=30_000,
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(out.as_uri(), timeout=15_000)
            headline = page.locator(".card .big").first
            assert headline.inner_text() == f"{share}%"
            assert page.locator("svg rect").count() > 12
            assert page.locator(".example").count() >= 2
            assert page.locator(".insteads li").count() >= 2
            # Every section stands apart from the one above it (no card flush on another).
            gaps = page.evaluate("""() => {
                const blocks = [...document.querySelectorAll('main > .cards, main > section,'
                                                           + ' main > .two')];
                return blocks.slice(1).map((block, i) =>
                    block.getBoundingClientRect().top - blocks[i].getBoundingClientRect().bottom);
            }""")
            assert len(gaps) >= 4, gaps
            assert min(gaps) >= 12, gaps
            # The script in a post is shown as text, not run.
            assert page.evaluate("document.scripts.length") == 0
            page.screenshot(path=str(ARTIFACTS / "audit-report.png"), full_page=True)
        finally:
            browser.close()
    # Nothing was fetched but the report itself: it stands alone.
    assert requests == [out.as_uri()]
