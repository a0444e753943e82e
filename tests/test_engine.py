"""The engine: scoring, levels, link blast through SentHistory, allowlists, pull signals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from pullcheck.engine import KINDS, Engine, EngineSettings
from pullcheck.history import InMemorySentHistory
from pullcheck.models import Draft, Kind, ReplyTarget
from pullcheck.predicates import DraftContext, Predicate, never
from pullcheck.rulebook import builtin_pack, builtin_rules_dir, load_rule_pack

PACK = builtin_pack()
NOW = 1_700_000_000.0


def engine(**settings) -> Engine:
    return Engine(PACK, EngineSettings(**settings), history=InMemorySentHistory())


def reply(text: str, parent: str, author: str | None = "stranger") -> Draft:
    target = ReplyTarget(author=author, text=parent)
    return Draft(platform="x", kind="reply", text=text, reply_to=target)


def codes(verdict) -> set[str]:
    return {finding.code for finding in verdict.findings}


def test_plain_reply_is_clean() -> None:
    verdict = engine().judge(reply("Lovely photo, where was it taken?", "Sunset tonight"))
    assert verdict.level == "none"
    assert verdict.score == 0
    assert verdict.findings == []


def test_a_link_alone_is_never_push() -> None:
    verdict = engine().judge(reply("https://docs.example/guide", "Sunset tonight"))
    assert not verdict.reaches("warning")


def test_unsolicited_pitch_is_a_warning_with_span() -> None:
    text = "Nice! Our agency builds sites like this, hire us"
    verdict = engine().judge(reply(text, "Sunset tonight"))
    assert verdict.level == "warning"
    assert "PP201" in codes(verdict)
    finding = next(f for f in verdict.findings if f.code == "PP201")
    assert finding.span is not None
    assert text[finding.span[0] : finding.span[1]] == finding.trigger
    assert finding.why
    assert finding.instead
    assert finding.message


def test_reply_to_a_post_that_asks_passes_even_when_it_offers() -> None:
    draft = reply(
        "We sell widgets and ship across Albania: acme.example",
        "I'm looking for a widget seller in Albania",
    )
    assert not engine().judge(draft).reaches("warning")


def test_weak_signals_add_up() -> None:
    link_only = engine().judge(reply("acme.example/x", "Sunset tonight"))
    both = engine().judge(reply("Check out this: acme.example/x", "Sunset tonight"))
    assert link_only.level == "info"
    assert both.level == "warning"
    assert both.score > link_only.score


def test_auto_dm_to_new_follower_is_an_error() -> None:
    draft = Draft(
        kind="dm",
        text="Thanks for following! Visit my site acme-web.example",
        recipients=["newbie"],
        recipient_is_new_follower=True,
    )
    verdict = engine().judge(draft)
    assert verdict.level == "error"
    assert "PP101" in codes(verdict)


def test_pull_signals_lower_the_score_of_weak_signals() -> None:
    base = "acme.example/guide"
    weak = engine().judge(reply(base, "Sunset tonight"))
    softened = engine().judge(reply(base + " What do you think about email?", "Sunset tonight"))
    assert softened.score < weak.score
    assert "PP501" in codes(softened)


def test_pull_wording_neither_lowers_nor_praises_a_pitch() -> None:
    base = "Btw our agency builds websites for runners, hire us today"
    pitch = engine().judge(reply(base, "Finished my first marathon today!"))
    congratulated = engine().judge(reply("Congrats! " + base, "Finished my first marathon today!"))
    assert congratulated.level == "warning"
    assert congratulated.score == pitch.score
    assert "PP501" not in codes(congratulated)


def test_two_independent_weak_signals_make_a_warning() -> None:
    verdict = engine(add_up_score=100).judge(reply("Click here: acme.example/x", "Sunset tonight"))
    assert {"PP203", "PP204"} <= codes(verdict)
    assert verdict.level == "warning"


def test_pitch_under_an_ask_for_something_else_names_the_mismatch() -> None:
    draft = reply(
        "Cute! Our agency builds websites, hire us: acme.example",
        "Just adopted a puppy, any tips for the first week?",
    )
    verdict = engine().judge(draft)
    finding = next(f for f in verdict.findings if f.code == "PP206")
    assert verdict.level == "warning"
    assert finding.message.startswith("They asked about pets; this offers web design.")


def test_pitch_that_answers_the_ask_by_topic_passes() -> None:
    draft = reply(
        "We build websites for vets and groomers, portfolio at acme.example",
        "Can anyone recommend a web designer for my grooming salon?",
    )
    assert not engine().judge(draft).reaches("warning")


def test_reply_by_the_account_the_parent_addressed_is_solicited() -> None:
    parent = ReplyTarget(text="@BigBank froze my card again, why??")
    answer = "Sorry! We offer a free replacement card, DM us your details"
    brand = Draft(kind="reply", text=answer, reply_to=parent, author="bigbank")
    rival = Draft(kind="reply", text="Switch to us, no fees", reply_to=parent, author="swiftbank")
    assert not engine().judge(brand).reaches("warning")
    verdict = engine().judge(rival)
    assert "PP206" in codes(verdict)
    assert "@bigbank" in verdict.findings[0].message


def test_config_me_names_the_writer_when_the_draft_does_not() -> None:
    parent = ReplyTarget(text="@BigBank froze my card again, why??")
    draft = Draft(
        platform="x", kind="reply", text="Sorry! We offer a free replacement card", reply_to=parent
    )
    assert not engine(me={"x": "@BigBank"}).judge(draft).reaches("warning")
    assert engine(me={"x": "@SwiftBank"}).judge(draft).reaches("warning")


def test_pull_finding_alone_never_raises_the_level() -> None:
    verdict = engine().judge(reply("Thanks for sharing, what do you think of v2?", "New post"))
    assert codes(verdict) == {"PP501"}
    assert verdict.level == "none"
    assert verdict.score == 0


def test_score_gates_severity() -> None:
    weak = engine(warning_score=80).judge(reply("Our agency can help, hire us", "Sunset"))
    assert "PP201" in codes(weak)
    assert weak.level == "info"


def test_link_blast_counts_distinct_recipients_in_history() -> None:
    blaster = engine()
    text = "Hi! Grab our spring catalogue at acme.example/spring"
    for index, person in enumerate(["ann", "bob", "cat", "dan"]):
        before = blaster.judge(Draft(kind="dm", text=text, recipients=[person]), now=NOW + index)
        assert "PP301" not in codes(before)
        blaster.record_sent(Draft(kind="dm", text=text, recipients=[person]), now=NOW + index)
    fifth = blaster.judge(Draft(kind="dm", text=text, recipients=["eve"]), now=NOW + 10)
    assert "PP301" in codes(fifth)
    assert fifth.level == "error"


def test_link_blast_ignores_messages_outside_the_window() -> None:
    blaster = engine()
    text = "Hi! Grab our spring catalogue at acme.example/spring"
    for person in ["ann", "bob", "cat", "dan"]:
        blaster.record_sent(Draft(kind="dm", text=text, recipients=[person]), now=NOW)
    later = blaster.judge(Draft(kind="dm", text=text, recipients=["eve"]), now=NOW + 25 * 3600)
    assert "PP301" not in codes(later)


def test_link_blast_min_recipients_is_a_user_param() -> None:
    blaster = engine(params={"PP301": {"min_recipients": 2}})
    text = "Grab our catalogue at acme.example/spring"
    blaster.record_sent(Draft(kind="dm", text=text, recipients=["ann"]), now=NOW)
    assert "PP301" in codes(blaster.judge(Draft(kind="dm", text=text, recipients=["bob"]), now=NOW))


def test_record_sent_keeps_no_text() -> None:
    history = InMemorySentHistory()
    record = Engine(PACK, history=history).record_sent(
        Draft(kind="dm", text="secret words at acme.example", recipients=["@Ann"]), now=NOW
    )
    assert record.recipients == ("ann",)
    assert record.link_domains == ("acme.example",)
    assert "secret" not in repr(record)


def test_allowlisted_handle_suppresses_push_findings() -> None:
    draft = reply("Our agency can help, hire us: acme.example", "Sunset", author="@BestClient")
    assert engine().judge(draft).reaches("warning")
    assert engine(allow_handles={"bestclient"}).judge(draft).findings == []


def test_allowlisted_domain_is_not_a_link() -> None:
    draft = reply("Check out acme.example/guide", "Sunset")
    assert engine().judge(draft).reaches("warning")
    # PP207 (the learned guess) reads wording, not links: "Check out ..." under a stranger's
    # post reads like comment spam whatever the link, so it is left out of this link test.
    allowed = engine(allow_domains={"acme.example"}, disabled={"PP207"}).judge(draft)
    assert not allowed.reaches("warning")


def test_disabled_rule_and_severity_override() -> None:
    draft = reply("Our agency can help, hire us", "Sunset")
    assert "PP201" not in codes(engine(disabled={"PP201"}).judge(draft))
    overridden = engine(severities={"PP201": "error"}).judge(draft)
    assert next(f for f in overridden.findings if f.code == "PP201").severity == "error"


def test_shadow_rules_are_counted_not_shown() -> None:
    draft = reply("Our agency can help, hire us", "Sunset")
    judgement = engine(shadow={"PP201"}).judge_fully(draft)
    assert "PP201" not in codes(judgement.verdict)
    assert "PP201" in {finding.code for finding in judgement.shadow}


def test_unreadable_text_is_judged_on_metadata_only() -> None:
    draft = Draft(
        kind="dm",
        text="",
        text_available=False,
        recipient_is_new_follower=True,
        links=["https://acme.example/shop"],
    )
    verdict = engine().judge(draft)
    assert "PP101" in codes(verdict)


@pytest.mark.parametrize("kind", ["post", "reply", "quote", "dm", "comment", "connect-note"])
def test_judge_never_raises_on_odd_drafts(kind: Kind) -> None:
    draft = Draft(
        kind=kind,
        text="\x00\ud800 @ . http:// www. !!!",
        reply_to=ReplyTarget(),
        recipients=["", "@"],
        links=["not a url", "http://["],
    )
    assert engine().judge(draft).level in {"none", "info", "warning", "error"}


def test_a_rule_that_raises_is_skipped() -> None:
    broken = engine()

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    broken.active = [
        dataclasses.replace(active, holds=explode, holds_for=dict.fromkeys(KINDS, explode))
        for active in broken.active
    ]
    assert broken.judge(reply("hire us", "Sunset")).findings == []


def test_a_rule_whose_param_is_missing_is_skipped_not_fatal(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    data = yaml.safe_load((builtin_rules_dir() / "PP302-mass-mention.yaml").read_text())
    data.update(code="PP902", name="mass-mention-copy")
    (extra / "PP902.yaml").write_text(yaml.safe_dump(data))
    pack = load_rule_pack([builtin_rules_dir(), extra])
    mass = Draft(kind="post", text="@a @b @c @d @e @f we offer web design https://acme.example")
    assert "PP902" in codes(Engine(pack).judge(mass))
    # A settings layer that replaces the params without the one the rule names: the engine
    # still builds, and judging skips that rule alone.
    next(rule for rule in pack.rules if rule.code == "PP902").params.clear()
    engine_without_param = Engine(pack)
    verdict = engine_without_param.judge(mass)
    assert "PP902" not in codes(verdict)
    assert "PP302" in codes(verdict)


def test_a_rule_shipped_in_shadow_mode_is_counted_not_shown(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    source = builtin_rules_dir() / "PP401-hard-sell-wording.yaml"
    data = yaml.safe_load(source.read_text())
    data.update(code="PP901", name="shadow-hard-sell", shadow=True)
    (extra / "PP901.yaml").write_text(yaml.safe_dump(data))
    pack = load_rule_pack([builtin_rules_dir(), extra])
    judgement = Engine(pack).judge_fully(Draft(kind="post", text="ACT NOW!!! LIMITED TIME"))
    assert "PP901" not in codes(judgement.verdict)
    assert "PP901" in {finding.code for finding in judgement.shadow}
    assert "PP401" in codes(judgement.verdict)


def test_a_public_post_without_recipients_is_a_broadcast_not_a_blast() -> None:
    blaster = engine(params={"PP301": {"min_recipients": 2}})
    text = "Grab our catalogue at acme.example/spring"
    for person in ["ann", "bob", "cat"]:
        blaster.record_sent(Draft(kind="dm", text=text, recipients=[person]), now=NOW)
    assert "PP301" not in codes(blaster.judge(Draft(kind="post", text=text), now=NOW))
    assert "PP301" in codes(blaster.judge(Draft(kind="post", text="@dan " + text), now=NOW))


def test_a_price_alone_in_a_reply_is_an_answer_not_a_pitch() -> None:
    answer = engine().judge(reply("The change fee is $75 per person.", "Sunset tonight"))
    assert "PP201" not in codes(answer)
    pitch = engine().judge(reply("Only $75, order at acme.example/shop", "Sunset tonight"))
    assert "PP201" in codes(pitch)
    assert pitch.reaches("warning")


def test_in_memory_history_index_finds_what_a_full_scan_finds() -> None:
    import random

    from pullcheck.history import InMemorySentHistory, SentRecord

    rng = random.Random(2)
    history = InMemorySentHistory(max_records=50)
    bases = [rng.getrandbits(64) for _ in range(4)]
    sent: list[SentRecord] = []
    for moment in range(400):
        signature = rng.choice(bases)
        for _ in range(rng.randrange(10)):
            signature ^= 1 << rng.randrange(64)
        record = SentRecord(
            float(moment), rng.choice("xy"), "dm", (f"u{rng.randrange(40)}",), (), signature
        )
        history.record(record)
        sent.append(record)
        if moment % 23:
            continue
        kept = sent[-history.max_records :]  # older ones were evicted
        for distance in (0, 6, 20):  # indexed, and past the index (scanned)
            probe = rng.choice(bases) ^ 1 << rng.randrange(64)
            expected = {
                person
                for record in kept
                if record.time >= moment - 30
                and record.platform == "x"
                and (record.signature ^ probe).bit_count() <= distance
                for person in record.recipients
            }
            found = history.recipients_of_similar("x", probe, moment - 30, distance)
            assert found == expected


REUSE_DRAFTS = [
    Draft(
        platform="x",
        kind="dm",
        text="Hi @ann, see https://acme.example/shop?ref=9 now",
        recipients=["bob"],
    ),
    Draft(
        platform="x",
        kind="reply",
        text="Thanks! Our guide: acme.example/guide",
        reply_to=ReplyTarget(author="cara", text="Can anyone recommend a guide?"),
    ),
    Draft(platform="mastodon", kind="post", text="Lovely sunset tonight", mentions=["@dan"]),
    Draft(
        platform="x",
        kind="dm",
        text="",
        text_available=False,
        recipients=["eve"],
        links=["https://acme.example/x"],
    ),
]


@pytest.mark.parametrize("draft", REUSE_DRAFTS)
def test_record_sent_reusing_the_judgement_stores_the_same_record(draft: Draft) -> None:
    engine = Engine(builtin_pack(), history=InMemorySentHistory())
    judged = engine.judge_fully(draft, now=100.0)
    fresh = engine.sent_record(draft, now=200.0)
    assert engine.record_sent(draft, now=200.0, judged=judged) == fresh
    assert engine.history.recipients_of_similar(draft.platform, fresh.signature, 150.0, 0) == set(
        fresh.recipients
    )


def test_record_sent_with_a_judgement_does_not_extract_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = Engine(builtin_pack(), history=InMemorySentHistory())
    draft = REUSE_DRAFTS[0]
    judged = engine.judge_fully(draft, now=100.0)
    assert judged.signature is not None  # the link-blast lookup needed it
    expected = engine.sent_record(draft, now=200.0)

    def no_extraction(_: Draft) -> None:
        raise AssertionError("features extracted again")

    monkeypatch.setattr(engine, "features_of", no_extraction)
    monkeypatch.setattr("pullcheck.engine.similarity_signature", no_extraction)
    assert engine.record_sent(draft, now=200.0, judged=judged) == expected
    # The old call still works (and extracts).
    with pytest.raises(AssertionError, match="extracted again"):
        engine.record_sent(draft, now=200.0)


def test_record_sent_ignores_a_judgement_of_another_text_or_a_failed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = Engine(builtin_pack(), history=InMemorySentHistory())
    draft = REUSE_DRAFTS[0]
    other = engine.judge_fully(REUSE_DRAFTS[2], now=100.0)
    assert engine.sent_record(draft, now=200.0, judged=other) == engine.sent_record(
        draft, now=200.0
    )
    # A judgement that failed open has empty features of the same (empty) text.
    unreadable = REUSE_DRAFTS[3]
    expected = engine.sent_record(unreadable, now=200.0)
    assert expected.link_domains == ("acme.example",)
    real_features_of = engine.features_of

    def broken(_: Draft) -> None:
        raise RuntimeError("unreadable")

    monkeypatch.setattr(engine, "features_of", broken)
    failed = engine.judge_fully(unreadable, now=100.0)
    assert not failed.complete
    monkeypatch.setattr(engine, "features_of", real_features_of)
    assert engine.sent_record(unreadable, now=200.0, judged=failed) == expected


def test_the_parents_ask_is_worked_out_once_per_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    import pullcheck.engine

    asked: list[str | None] = []
    real_ask_of = pullcheck.engine.ask_of

    def counting_ask_of(text, phrasebook, languages=None):
        asked.append(text)
        return real_ask_of(text, phrasebook, languages)

    monkeypatch.setattr(pullcheck.engine, "ask_of", counting_ask_of)
    judge = engine()
    for draft in ("we offer design", "we offer design, $49", "we offer design, $49 a month"):
        assert "PP201" in codes(judge.judge(reply(draft, "Sunset over the harbour")))
    assert judge.judge(reply("hire us", "Can anyone recommend a designer?")).level == "none"
    assert asked == ["Sunset over the harbour", "Can anyone recommend a designer?"]


def test_small_words_of_other_languages_do_not_make_an_offer_answer_an_ask() -> None:
    draft = reply(
        "¡Genial! En nuestra inmobiliaria tenemos pisos desde 900€/mes",
        "¿Qué tal la vida en Valencia? Estoy pensando en mudarme desde Madrid",
    )
    assert "PP206" in codes(engine().judge(draft))


def test_a_draft_of_a_kind_the_models_do_not_name_is_still_judged_by_every_rule() -> None:
    # Only a draft built without validation has one; the rules that name no kind still run.
    odd = Draft.model_construct(kind="story", text="BUY NOW!!! Last chance, act fast!!!")
    assert "PP401" in codes(engine().judge(odd))


def test_rules_for_other_kinds_are_left_out_of_a_kinds_plan() -> None:
    judge = engine()
    ran: list[str] = []

    def counting(code: str, holds: Predicate) -> Predicate:
        if holds is never:
            return never

        def counted(context: DraftContext) -> bool:
            ran.append(code)
            return holds(context)

        return counted

    judge.active = [
        dataclasses.replace(
            active,
            holds_for={
                kind: counting(active.rule.code, holds) for kind, holds in active.holds_for.items()
            },
        )
        for active in judge.active
    ]
    judge.judge(Draft(kind="post", text="hello"))
    assert "PP101" not in ran  # a rule for dms and connect-notes
    assert "PP401" in ran  # a rule for every kind


def test_a_draft_whose_kind_is_not_even_a_name_gets_a_verdict_not_an_error() -> None:
    odd = Draft.model_construct(kind=["dm"], text="BUY NOW!!! Last chance, act fast!!!")
    assert "PP401" in codes(engine().judge(odd))
