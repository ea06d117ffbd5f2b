"""Fixtures for the search tests: a backend chosen per test and a small catalog."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from marketplace.catalog.models import AreaAlias
from marketplace.demo.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
)
from marketplace.extensions import db
from marketplace.text import fold, utcnow
from tests.conftest import TEST_DATABASE_URL, make_test_config

MEILI_URL = os.environ.get("MEILI_URL")
ON_SQLITE = not TEST_DATABASE_URL or TEST_DATABASE_URL.startswith("sqlite")

# Every backend runs the same contract; each is skipped only where it cannot run.
BACKENDS = [
    "sqlite",
    "database",
    pytest.param("meilisearch", marks=pytest.mark.meili),
]


def backend_config(tmp_path, name: str) -> dict:
    if name == "sqlite" and not ON_SQLITE:
        pytest.skip("the FTS5 backend lives in a SQLite database; TEST_DATABASE_URL is not SQLite")
    if name == "meilisearch" and not MEILI_URL:
        pytest.skip("Meilisearch contract run needs MEILI_URL")
    extra = {"SEARCH_BACKEND": name}
    if name == "meilisearch":
        extra.update(
            MEILI_URL=MEILI_URL,
            MEILI_API_KEY=os.environ.get("MEILI_API_KEY"),
            MEILI_INDEX=f"test_{uuid.uuid4().hex[:10]}",
        )
    return make_test_config(tmp_path, **extra)


@dataclass
class Catalog:
    """Ids of the contract catalog's products by short name."""

    bup: int  # Chè búp Tân Cương đặc biệt — 5★, 450k, views 50
    moc_cau: int  # Chè móc câu Tân Cương — 4★, 250k, views 200
    mien: int  # Miến dong Na Rì — rural industry, 60k, views 10
    mat_ong: int  # Mật ong rừng Võ Nhai — 3★, 180k, views 30 (area alias Đồng Hỷ)
    che_xanh: int  # Chè xanh Đại Từ — rural industry, 1.2m, views 5
    draft: int  # not published
    hidden: int  # seller suspended

    @property
    def public(self) -> set[int]:
        return {self.bup, self.moc_cau, self.mien, self.mat_ong, self.che_xanh}


def build_catalog() -> Catalog:
    """Create the catalog and commit (indexing happens through the session hooks)."""
    do_uong = make_category(name="Đồ uống", slug="do-uong")
    che = make_category(name="Chè", slug="che", parent=do_uong)
    thuc_pham = make_category(name="Thực phẩm", slug="thuc-pham")
    mien_cat = make_category(name="Miến, bún", slug="mien-bun", parent=thuc_pham)
    tinh = make_area(name="tỉnh Thái Nguyên", slug="thai-nguyen", kind="province")
    tan_cuong = make_area(name="xã Tân Cương", slug="tan-cuong", parent=tinh)
    na_ri = make_area(name="xã Na Rì", slug="na-ri", parent=tinh)
    vo_nhai = make_area(name="xã Võ Nhai", slug="vo-nhai", parent=tinh)
    dai_tu = make_area(name="xã Đại Từ", slug="dai-tu", parent=tinh)
    db.session.add(AreaAlias(area=vo_nhai, name="Đồng Hỷ", folded=fold("Đồng Hỷ"), kind="former_district"))
    htx = make_seller(name="HTX Chè Hảo Đạt", slug="htx-che-hao-dat", area=tan_cuong)
    dn = make_seller(name="Công ty Nông sản Bắc Kạn", slug="cong-ty-nong-san", area=na_ri, kind="enterprise")
    ho = make_seller(name="Hộ kinh doanh Lò Văn Sáng", slug="ho-lo-van-sang", area=vo_nhai, kind="household")
    gone = make_seller(name="HTX Đình Chỉ", slug="htx-dinh-chi", area=tan_cuong, status="suspended")
    now = utcnow()
    bup = make_product(
        name="Chè búp Tân Cương đặc biệt", slug="che-bup", seller=htx, category=che, area=tan_cuong,
        price_vnd=450_000, view_count=50, published_at=now - timedelta(days=5),
        description="Búp chè non hái tay, sao suốt thủ công.",
    )
    moc = make_product(
        name="Chè móc câu Tân Cương", slug="che-moc-cau", seller=htx, category=che, area=tan_cuong,
        price_vnd=250_000, view_count=200, published_at=now - timedelta(days=4),
        description="Cánh chè xoăn như móc câu.",
    )
    mien = make_product(
        name="Miến dong Na Rì", slug="mien-dong", seller=dn, category=mien_cat, area=na_ri,
        price_vnd=60_000, view_count=10, published_at=now - timedelta(days=3),
        description="Miến làm từ củ dong riềng, không hóa chất.",
    )
    mat = make_product(
        name="Mật ong rừng Võ Nhai", slug="mat-ong", seller=ho, category=thuc_pham, area=vo_nhai,
        price_vnd=180_000, view_count=30, published_at=now - timedelta(days=2),
        description="Mật ong khai thác tự nhiên, hợp pha với chè Tân Cương.",
    )
    xanh = make_product(
        name="Chè xanh Đại Từ", slug="che-xanh", seller=htx, category=che, area=dai_tu,
        price_vnd=1_200_000, view_count=5, published_at=now - timedelta(days=1),
        description="Hộp quà 1 kg.",
    )
    draft = make_product(name="Chè nháp Tân Cương", slug="che-nhap", seller=htx, category=che, status="draft")
    hidden = make_product(name="Chè Tân Cương bị ẩn", slug="che-an", seller=gone, category=che, area=tan_cuong)
    make_certification(bup, stars=5)
    make_certification(moc, stars=4)
    make_certification(mat, stars=3)
    make_rural_industry(mien, level="province")
    make_rural_industry(xanh, level="national")
    db.session.commit()
    return Catalog(bup.id, moc.id, mien.id, mat.id, xanh.id, draft.id, hidden.id)
