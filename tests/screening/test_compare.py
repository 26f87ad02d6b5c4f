from __future__ import annotations

from counterflow.screening import score_pair
from counterflow.screening.compare import compare_names
from counterflow.screening.names import analyze


def test_identical_and_transliterated_names_score_one() -> None:
    assert score_pair("Jabhat al-Nusrah", "JABHAT AL-NUSRAH").score == 1.0
    assert score_pair("Jabhat al-Nusrah", "Джебхат ан-Нусра", "Organization").score == 1.0
    # across scripts the match rests on consonants alone, and says so with a lower score
    assert score_pair("Jabhat al-Nusrah", "جبهة النصرة", "Organization").score >= 0.85


def test_word_order_and_extra_list_parts() -> None:
    assert score_pair("Ayman al-Zawahiri", "Al Zawahiri Ayman", "Person").score == 1.0
    partial = score_pair("Aiman al-Zawahiri", "AIMAN MUHAMMED RABI AL-ZAWAHIRI", "Person")
    assert 0.8 <= partial.score < 1.0
    assert partial.comparison.unmatched_list == ("muhammed", "rabi")


def test_initials_and_typos() -> None:
    assert score_pair("A. al-Zawahiri", "Ayman al-Zawahiri", "Person").score >= 0.8
    assert score_pair("Ayman al-Zawahri", "Ayman al-Zawahiri", "Person").score >= 0.8


def test_different_people_sharing_common_parts_do_not_match() -> None:
    result = score_pair("Mohammed Ali Hassan", "Mohammed Ali Hussein", "Person")
    assert not result.is_match
    assert not score_pair("Maria Garcia", "Mario Garcia Lopez", "Person").is_match
    assert not score_pair("Islamic Front", "Islamic Army", "Organization").is_match


def test_explanation_names_the_token_pairs() -> None:
    comparison = compare_names(analyze("dzhebhat EN-Nusra"), analyze("Jabhat al-Nusrah"))
    assert [(p.query, p.listed, p.how) for p in comparison.pairs] == [
        ("dzhebhat", "jabhat", "equal"),
        ("nusra", "nusrah", "equal"),
    ]


def test_initials_alone_name_nobody() -> None:
    assert score_pair("E. EL SHEIKH", "AA", "Person").score == 0.0
    assert score_pair("A. K.", "Abdul Karim", "Person").score == 0.0
