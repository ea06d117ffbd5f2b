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


def test_api_errors_speak_vietnamese_not_werkzeug_english(client):
    body = client.get("/api/v1/khong-co").get_json()
    assert body["error"] == "Không tìm thấy trang hoặc dữ liệu được yêu cầu."
    response = client.post("/api/v1/products")
    assert response.status_code == 405 and response.get_json()["status"] == 405
    assert "không được hỗ trợ" in response.get_json()["error"]


def test_malformed_slugs_are_404_before_any_view(client):
    for path in ("/san-pham/CHE%00", "/co-so/%E2%9C%93", "/danh-muc/-x", "/api/v1/products/a%20b"):
        assert client.get(path).status_code == 404, path


def test_missing_csrf_token_gets_a_vietnamese_page(csrf_app):
    # the error page's header lists categories, so the schema must exist (csrf_app has it)
    response = csrf_app.test_client().post("/dang-nhap", data={"email": "a@b.vn", "password": "x"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert "CSRF token" not in response.get_data(as_text=True)
