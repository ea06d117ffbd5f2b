from marketplace import create_app


def test_config_testing(app):
    assert app.testing
    assert not create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}).testing


def test_meilisearch_without_url_fails_clearly(tmp_path):
    import pytest

    with pytest.raises(RuntimeError, match="MEILI_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SEARCH_BACKEND": "meilisearch", "SECRET_KEY": "x"})


def test_home_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Sản phẩm OCOP" in response.get_data(as_text=True)


def test_unknown_page_is_vietnamese_404(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["status"] == 404
