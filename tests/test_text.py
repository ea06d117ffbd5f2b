"""Folding, slugs and formatting: the Vietnamese helpers every feature relies on."""
import unicodedata
from datetime import date, datetime, timezone

import pytest

from marketplace.text import fold, format_date, format_datetime, format_vnd, slugify


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Chè Tân Cương", "che tan cuong"),
        ("ĐẶC SẢN ĐỒNG HỶ", "dac san dong hy"),
        ("đường", "duong"),
        ("Đường", "duong"),
        # letters carrying two marks, which FTS5 remove_diacritics 1 does not fold
        ("cường việt quốc", "cuong viet quoc"),
        ("Mật ong hoa rừng", "mat ong hoa rung"),
        ("  nhiều   khoảng   trắng ", "nhieu khoang trang"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_handles_every_vowel_with_every_tone():
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]  # huyền sắc ngã hỏi nặng
    for v in vowels:
        for t in tones:
            for ch in (v, v.upper()):
                composed = unicodedata.normalize("NFC", ch + t)
                assert fold(composed) in "aeiouy" and len(fold(composed)) == 1, composed


def test_fold_is_the_same_for_nfc_and_nfd_input():
    word = "Nguyễn Thị Trường"
    assert fold(unicodedata.normalize("NFD", word)) == fold(unicodedata.normalize("NFC", word)) == "nguyen thi truong"


@pytest.mark.parametrize(
    "text, slug",
    [
        ("Chè búp Tân Cương đặc biệt", "che-bup-tan-cuong-dac-biet"),
        ("Đồng Hỷ", "dong-hy"),
        ("HTX chè Hảo Đạt (Tân Cương)", "htx-che-hao-dat-tan-cuong"),
        ("Miến dong 500 g / túi", "mien-dong-500-g-tui"),
        ("!!!", ""),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_slug_is_ascii_and_bounded():
    slug = slugify("Trà " * 100)
    assert slug.isascii() and len(slug) <= 80 and not slug.endswith("-")


@pytest.mark.parametrize(
    "amount, text",
    [(150000, "150.000 ₫"), (0, "0 ₫"), (1_000_000_000, "1.000.000.000 ₫"), (999, "999 ₫")],
)
def test_format_vnd(amount, text):
    assert format_vnd(amount) == text


def test_dates_are_dd_mm_yyyy_in_ho_chi_minh_time():
    # 20:30 UTC on 31/12 is already 01/01 03:30 in Vietnam (UTC+7)
    moment = datetime(2025, 12, 31, 20, 30, tzinfo=timezone.utc)
    assert format_date(moment) == "01/01/2026"
    assert format_datetime(moment) == "01/01/2026 03:30"
    assert format_date(date(2026, 3, 5)) == "05/03/2026"


@pytest.mark.parametrize("value", ["che-tan-cuong", "a", "tra-2", "x" * 120])
def test_is_slug_accepts_what_slugify_makes(value):
    from marketplace.text import is_slug

    assert is_slug(value)


@pytest.mark.parametrize("value", ["", "-che", "Che", "chè", "che\x00", "che tan", "x" * 121, None, "che\n"])
def test_is_slug_rejects_everything_else(value):
    from marketplace.text import is_slug

    assert not is_slug(value)
