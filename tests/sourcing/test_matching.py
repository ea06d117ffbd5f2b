"""The ranking's criteria, one input each (the supply fields come from the products'
capacity and season, issue 19 item 1)."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from marketplace.sourcing.matching import Fit, capacity_fit, rank_score, season_fit, wanted_months


def _request(quantity=2000, unit="kg", frequency="monthly", deadline=date(2027, 3, 10)):
    return SimpleNamespace(quantity=quantity, unit=unit, frequency=frequency, deadline=deadline)


def _product(volume=None, unit=None, mask=None):
    return SimpleNamespace(monthly_volume=volume, volume_unit=unit, season_mask=mask)


def test_rank_score_weighs_each_criterion_and_treats_unknown_as_neutral():
    assert rank_score(Fit(1, 1, 1, 1)) == 100
    assert rank_score(Fit(0, 0, 0, 0)) == 0
    assert rank_score(Fit(1, 1, None, None)) == 85
    assert rank_score(Fit(1, 1, 1, 0)) == rank_score(Fit(1, 1, 0, 1))  # capacity and season weigh the same
    assert rank_score(Fit(0.5, 0.8, 1, 1)) > rank_score(Fit(0.5, 0.8, 0.2, 1))


def test_capacity_counts_comparable_units_only():
    request = _request(quantity=2, unit="tấn")  # 2,000 kg a month
    assert capacity_fit([_product(1500, "kg")], request) == pytest.approx(0.75)
    assert capacity_fit([_product(1500, "kg"), _product(1, "Tấn")], request) == 1.0
    assert capacity_fit([_product(500, "hộp")], request) is None  # boxes are not kilograms
    assert capacity_fit([_product()], request) is None  # nothing stated: unknown
    assert capacity_fit([_product(300, "hộp")], _request(quantity=600, unit="Hộp")) == pytest.approx(0.5)


def test_wanted_months_wrap_the_year():
    assert wanted_months(_request(frequency="once", deadline=date(2027, 11, 1))) == [11]
    assert wanted_months(_request(frequency="monthly", deadline=date(2027, 11, 1))) == [11, 12, 1]


def test_season_unknown_without_stated_seasons():
    assert season_fit([_product()], _request()) is None


def test_season_share_of_the_wanted_months():
    march_to_april = (1 << 2) | (1 << 3)
    request = _request(frequency="monthly", deadline=date(2027, 3, 10))  # March, April, May
    assert season_fit([_product(mask=march_to_april)], request) == pytest.approx(2 / 3)
    assert season_fit([_product(mask=4095)], request) == 1.0
    assert season_fit([_product(mask=1 << 8)], request) == 0.0
