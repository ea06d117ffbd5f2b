"""Meilisearch's ``synonyms`` setting follows the synonyms table, and decomposed input
reaches the engine as whole words — checked against the STAND-IN (what our adapter
sends; it proves nothing about Meilisearch itself)."""
from __future__ import annotations

import unicodedata

from marketplace.extensions import db
from marketplace.search import get_search
from marketplace.search.base import SearchQuery
from marketplace.search.synonyms import add_synonym, remove_synonym
from tests.search.test_meili_standin import app_config, live, standin  # noqa: F401  (the same stand-in setup)

SETTINGS = r"/indexes/products/settings"


def test_synonyms_setting_follows_the_table(live, standin):
    assert live.apply_settings() is False  # the reindex applied them (no synonyms yet)
    assert standin.calls("PATCH", SETTINGS) == []
    add_synonym("chè", "trà")
    assert standin.calls("PATCH", SETTINGS) == []  # nothing sent before the commit
    db.session.commit()
    assert standin.calls("PATCH", SETTINGS)[-1].body["synonyms"] == {"che": ["tra"], "tra": ["che"]}
    remove_synonym("che", "tra", two_way=False)
    db.session.commit()
    assert standin.calls("PATCH", SETTINGS)[-1].body["synonyms"] == {"tra": ["che"]}


def test_rolled_back_change_is_not_sent(live, standin):
    add_synonym("htx", "hợp tác xã")
    db.session.rollback()
    db.session.commit()  # a later commit re-reads the committed table: still empty
    assert all(call.body["synonyms"] == {} for call in standin.calls("PATCH", SETTINGS))


def test_decomposed_query_reaches_the_engine_as_words(live, standin):
    get_search().search(SearchQuery(text=unicodedata.normalize("NFD", "Chè Tân Cương")))
    sent = [c.body for c in standin.calls("POST", r"/multi-search")][0]["queries"][0]["q"]
    assert sent == "Chè Tân Cương"
