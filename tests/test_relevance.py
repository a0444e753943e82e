"""Whether a parent's ask excuses a pitch: whom an offer serves, disclosed answers, and which
"why" asks."""

from __future__ import annotations

from pullcheck.builtin_ask import asks_for_help
from pullcheck.engine import Engine, EngineSettings
from pullcheck.history import InMemorySentHistory
from pullcheck.models import Draft, ReplyTarget
from pullcheck.rulebook import builtin_pack
from pullcheck.topics import without_audience

PACK = builtin_pack()


def judge(text: str, parent: str, kind: str = "reply"):  # type: ignore[no-untyped-def]
    engine = Engine(PACK, EngineSettings(), history=InMemorySentHistory())
    draft = Draft(
        platform="x", kind=kind, text=text, reply_to=ReplyTarget(author="stranger", text=parent)
    )
    return engine.judge(draft)


def codes(verdict) -> set[str]:  # type: ignore[no-untyped-def]
    return {finding.code for finding in verdict.findings}


def test_whom_an_offer_serves_is_left_out_of_what_it_offers() -> None:
    assert "cafés" not in without_audience("We build websites for cafés, hire us")
    assert "clinics" not in without_audience("We help dental clinics get more patients")
    assert "patients" in without_audience("We help dental clinics get more patients")


def test_what_is_done_for_the_audience_stays_in_the_offer() -> None:
    assert "bookkeeping" in without_audience("We help small shops with bookkeeping")


def test_a_pitch_that_serves_the_askers_trade_does_not_answer_the_ask() -> None:
    verdict = judge(
        "We help dental clinics get more patients, DM me", "Any recommendations for a dentist?"
    )
    assert "PP206" in codes(verdict)
    assert verdict.level == "warning"


def test_a_pitch_for_the_askers_kind_of_place_does_not_answer_the_ask() -> None:
    verdict = judge(
        "We build websites for cafés, hire us: acme-web.example",
        "Any recommendations for a quiet café to work from?",
    )
    assert "PP206" in codes(verdict)


def test_an_offer_of_what_was_asked_still_answers_it() -> None:
    verdict = judge(
        "We build websites for cafés and bakeries, portfolio at acme-web.example",
        "Any recommendations for a web designer? Need a site for my café",
    )
    assert verdict.level == "none"


def test_a_disclosed_own_product_answering_the_ask_passes() -> None:
    verdict = judge(
        "Disclosure: I'm one of the founders of Billbee, so I'm biased. We built it for "
        "freelancers and it's free for your first 3 clients.",
        "What do you all use for invoicing?",
        kind="comment",
    )
    assert verdict.level == "none"


def test_a_disclosure_does_not_excuse_changing_the_subject() -> None:
    verdict = judge(
        "Disclosure: I run an SEO agency. Unrelated, but we do audits for running clubs, DM me",
        "Any tips for my first marathon?",
        kind="comment",
    )
    assert "PP206" in codes(verdict)


def test_why_in_a_statement_asks_nothing() -> None:
    assert asks_for_help("Here's why I left my agency job to go freelance").answer == "no"


def test_why_in_a_question_asks() -> None:
    assert asks_for_help("why is my order still not here?").answer == "yes"
    assert asks_for_help("Why does nobody talk about daycare costs?").answer == "yes"
