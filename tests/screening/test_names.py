from __future__ import annotations

import pytest

from counterflow.screening.names import Kind, NameClass, analyze
from counterflow.screening.phonetic import phonetic, skeleton
from counterflow.screening.transliterate import is_abjad, to_latin


@pytest.mark.parametrize(
    "variants",
    [
        ("Muhammad", "Mohammed", "Mokhammed", "Mouhamad", "Muhamad"),
        ("Jabhat", "Djebhat", "Dzhebkhat", "Jebhat"),
        ("Nusrah", "Nusra", "Nousra"),
        ("Qaida", "Kaida"),
        ("Tahrir", "Takhrir"),
        ("Zawahiri", "Zavakhiri"),
        ("Sharif", "Cherif", "Shareef"),
        ("Usama", "Osama", "Oussama"),
    ],
)
def test_spelling_variants_share_a_phonetic_form(variants: tuple[str, ...]) -> None:
    assert len({phonetic(v.lower()) for v in variants}) == 1


def test_skeleton_keeps_opening_vowel_and_drops_ta_marbuta() -> None:
    assert skeleton(phonetic("ahmad")) != skeleton(phonetic("hamid"))
    assert skeleton(phonetic("jabhat")) == skeleton("jbha")


def test_arabic_words_get_name_transliteration() -> None:
    assert is_abjad("جبهة") and not is_abjad("Jabhat")
    assert to_latin("جبهة النصرة") == "jbha al-nsra"
    assert to_latin("علي") == "ali"
    assert to_latin("Джебхат ан-Нусра") == "Dzhebkhat an-Nusra"


def _phon(name: str, name_class: NameClass = NameClass.ANY) -> list[str]:
    return [t.phon for t in analyze(name, name_class).tokens]


def test_articles_are_dropped_including_sun_letter_forms() -> None:
    assert _phon("al-Nusrah") == _phon("an-Nusra") == _phon("EN-Nusra") == ["nusra"]
    assert _phon("ash-Sham") == _phon("al Sham") == ["xam"]
    assert _phon("as Salam") == ["salam"]
    # "as" stays a word when no sun letter follows it
    assert _phon("Bank as Example", NameClass.ANY)[0] == "bank"


def test_particles_are_canonical_and_abd_compounds_split() -> None:
    assert (
        _phon("Abdulrahman bin Ali")
        == _phon("Abd al-Rahman Ibn Ali")
        == ["abd", "rahman", "bin", "ali"]
    )
    assert _phon("Abou Bakr") == ["abu", "bakr"]
    tokens = analyze("Abd al-Rahman").tokens
    assert tokens[0].kind is Kind.PREFIX
    assert analyze("Ali bin Omar").tokens[1].kind is Kind.PARTICLE


def test_honorifics_and_legal_forms() -> None:
    assert _phon("Sheikh Mullah Omar", NameClass.PERSON) == ["umar"]
    assert _phon("Example Trading Co., Ltd.", NameClass.ORGANIZATION) == ["aksampl", "trading"]
    org = analyze("Islamic Front", NameClass.ORGANIZATION).tokens
    assert [t.kind for t in org] == [Kind.GENERIC, Kind.GENERIC]
    assert _phon("Dr") == ["dr"]  # a name made only of a title keeps it


def test_arabic_script_tokens_are_flagged() -> None:
    tokens = analyze("أيمن الظواهري").tokens
    assert [t.abjad for t in tokens] == [True, True]
    assert [t.skel for t in tokens] == [t.skel for t in analyze("Ayman al-Zawahiri").tokens]


def test_hostile_input_is_bounded() -> None:
    huge = "A" * 10_000
    assert len(analyze(huge).tokens[0].text) <= 300
    assert analyze("!!! ??? ...").tokens == ()


def test_romanised_syllables_and_inverted_names() -> None:
    assert _phon("HAN YU-RO") == ["han", "iuru"]
    assert _phon("Kim Jong-un") == _phon("KIM JONG-UN") == ["kim", "jungun"]
    assert _phon("Abu-Ali") == ["abu", "ali"]  # a particle is not a syllable
    assert _phon("AL-ZAWAHIRI, Ayman") == _phon("Ayman al-Zawahiri")
