"""The FIU profile: the example loads, and a bad profile lists every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.errors import ConfigError
from counterflow.reporting import CHANNELS, known_typologies, load_profile

from .conftest import EXAMPLE_PROFILE, profile_toml


@pytest.mark.shared_data
def test_example_profile_loads_with_every_channel_and_typology(shared_data: Path) -> None:
    profile = load_profile(EXAMPLE_PROFILE)
    assert profile.xsd == (shared_data / "goaml" / "goAMLSchema_5.0.1.xsd").resolve()
    assert profile.report_code == "STR"
    assert profile.currency == "USD"
    assert set(profile.funds) == set(profile.transmode) == set(CHANNELS)
    assert set(profile.indicators) == set(known_typologies())
    assert profile.reporting_person is not None


def test_typologies_are_the_monitoring_packs() -> None:
    typologies = known_typologies()
    for name in (
        "oil",
        "crops",
        "phosphates",
        "antiquities",
        "donations",
        "ransom",
        "listed-counterparty",
        "laundering-hub",
        "travel-funding",
        "layering-cycle",
    ):
        assert name in typologies


@pytest.mark.shared_data
def test_relative_xsd_is_relative_to_the_profile(xsd: Path, tmp_path: Path) -> None:
    folder = tmp_path / "fiu"
    folder.mkdir()
    (folder / "goaml.xsd").write_bytes(xsd.read_bytes())
    path = folder / "fiu.toml"
    path.write_text(profile_toml(xsd, xsd='xsd = "goaml.xsd"'), encoding="utf-8")
    assert load_profile(path).xsd == (folder / "goaml.xsd").resolve()


@pytest.mark.shared_data
def test_bad_profile_lists_every_problem_at_once(xsd: Path, tmp_path: Path) -> None:
    text = profile_toml(
        xsd,
        rentity_id="rentity_id = 0",
        rentity_branch="",
        report_code='report_code = "XYZ"',
        currency='currency = "usd"',
    )
    text = text.replace('wire = "-"', 'wire = "ZZ"', 1)  # codes.funds.wire
    text = text.replace("[codes.transmode]", '[codes.transmode]\nfax = "-"')
    text = text.replace("[codes.indicators]", '[codes.indicators]\nsmuggling = "-"')
    text = text.replace('mobile = "-"', "")
    text = 'colour = "blue"\n' + text
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert str(path) in message
    for key in (
        "rentity_id: must be a whole number of 1 or more",
        "rentity_branch: missing",
        "report_code: 'XYZ' is not in the XSD's report_type",
        "currency: must be an ISO 4217 code",
        "codes.funds.wire: 'ZZ' is not in the XSD's funds_type",
        "codes.transmode.fax: unknown",
        "codes.indicators.smuggling: unknown typology",
        "codes.phone_types.mobile: missing",
        "colour: unknown key",
    ):
        assert key in message, key
    assert "9 problems" in message


def test_bad_profile_without_its_xsd_still_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'rentity_id = "one"\nsubmission_code = "E"\ncurrency = "USD"\nxsd = "nowhere.xsd"\n'
        "[codes]\nfunds = 3\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    message = str(caught.value)
    for key in (
        "rentity_id: must be a whole number",
        "rentity_branch: missing",
        "xsd: the FIU's XSD",
        "location: missing",
        "codes.funds: must be a table",
        "codes.transmode: missing",
        "codes.indicators: missing",
        "codes.contact_types: missing",
    ):
        assert key in message, key


def test_profile_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fiu.toml"
    path.write_text("rentity_id = = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fiu\.toml: not a TOML FIU profile file"):
        load_profile(path)
