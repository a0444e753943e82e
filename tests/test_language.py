"""The language guess and phrase groups in other languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pullcheck.engine import Engine, EngineSettings
from pullcheck.language import ALL_FUNCTION_WORDS, WORD, _function_words, guess_language
from pullcheck.models import Draft, ReplyTarget
from pullcheck.phrases import PhraseError, load_phrase_file
from pullcheck.rulebook import builtin_pack

PACK = builtin_pack()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola Javier, gracias por conectar. Trabajo con clínicas dentales en Madrid", "es"),
        ("Hätten Sie nächste Woche 15 Minuten Zeit für ein kurzes Gespräch?", "de"),
        ("Bonjour Claire, notre cabinet accompagne les PME dans leur transformation", "fr"),
        ("Primeira semana trabalhando de casa e já tô com saudade do escritório", "pt"),
        ("Oggi ho finalmente consegnato la tesi, non ci credo ancora", "it"),
    ],
)
def test_the_guess_names_the_language(text: str, language: str) -> None:
    assert guess_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Check out my channel and subscribe, it's the best one on the site",
        "Congrats on the launch! How did you decide on pricing?",
        "ok",
        "",
    ],
)
def test_english_and_short_text_get_no_other_language(text: str) -> None:
    assert guess_language(text) is None


def test_the_guess_keeps_to_the_enabled_languages() -> None:
    assert guess_language("Oggi ho finalmente consegnato la tesi", languages=["es"]) is None


def test_a_pitch_in_spanish_is_flagged_like_one_in_english() -> None:
    draft = Draft(
        kind="reply",
        text="¡Felicidades! Nosotros ayudamos a tiendas como la tuya a "
        "duplicar ventas con anuncios. ¿Te paso info por DM?",
        reply_to=ReplyTarget(text="Hoy cumple un año mi tienda online"),
    )
    assert Engine(PACK).judge(draft).reaches("warning")


def test_a_language_switched_off_in_the_config_is_not_searched() -> None:
    draft = Draft(
        kind="dm",
        prior_conversation=False,
        text="Bonjour Claire, notre cabinet accompagne les PME. Seriez-vous "
        "disponible pour un échange de 20 minutes la semaine prochaine ?",
    )
    assert Engine(PACK).judge(draft).reaches("warning")
    assert not Engine(PACK, EngineSettings(languages=("es",))).judge(draft).reaches("warning")


def test_every_translated_group_is_a_group_the_rules_know() -> None:
    english = set(PACK.phrasebook.groups)
    for language, groups in PACK.phrasebook.translations.items():
        assert set(groups) <= english, language


def test_a_translation_file_example_that_fails_names_the_group(tmp_path: Path) -> None:
    path = tmp_path / "es.yaml"
    path.write_text(
        "language: es\ngroups:\n  offer:\n    phrases: [ofrecemos]\n    examples:\n"
        "      match: [ofrecemos, ofrecemos algo, vendemos]\n"
        "      no_match: [hola, adiós, gracias]\n",
        encoding="utf-8",
    )
    with pytest.raises(PhraseError, match=r"groups.offer: examples.match: 'vendemos'"):
        load_phrase_file(path)


# Text made of function words (some in capitals), other words and the characters that split
# words, so that the function words actually occur.
WORDISH = st.lists(
    st.one_of(
        st.sampled_from(sorted(ALL_FUNCTION_WORDS)),
        st.sampled_from(["La", "DER", "hello", "x1y", "_", "-", "'", " ", "\n", "¿", "é", "2"]),
        st.text(max_size=3),
    ),
    max_size=16,
).map("".join)


@given(WORDISH.filter(str.isascii))
def test_function_words_of_ascii_text_are_found_without_the_regex_exactly_as_with_it(
    text: str,
) -> None:
    lowered = text.lower()
    assert _function_words(lowered) == ALL_FUNCTION_WORDS.intersection(WORD.findall(lowered))


@given(WORDISH)
def test_function_words_are_the_regex_words_that_are_function_words(text: str) -> None:
    lowered = text.lower()
    assert _function_words(lowered) == ALL_FUNCTION_WORDS.intersection(WORD.findall(lowered))


def test_a_function_word_inside_a_longer_word_is_not_counted() -> None:
    assert _function_words("delta, lesson, undo") == frozenset()
    assert _function_words("el_los und-der") == {"el", "los", "und", "der"}
