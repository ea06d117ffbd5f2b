"""Photo management through the dashboard with real files: upload, serve, reorder,
cover, delete, limits, ownership, CSRF and garbage collection of files."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from auth import is_login_redirect
from auth import log_in as login
from marketplace.catalog.models import Product, ProductPhoto
from marketplace.extensions import db
from marketplace.media import get_storage
from marketplace.media.images import rendition_name

import media_samples as samples
from factories import make_product, make_seller, make_user


def multipart(files, **fields) -> tuple[bytes, str]:
    """A multipart body encoded up front (the test client would spool big ones to
    temporary files it never closes)."""
    values = MultiDict(fields)
    for field, name, content in files:
        values.add(field, FileStorage(io.BytesIO(content), filename=name))
    boundary, body = encode_multipart(values)
    return body, f"multipart/form-data; boundary={boundary}"


def upload(client, product_id, *files, alt=""):
    body, content_type = multipart([("photos", name, content) for name, content in files], alt=alt)
    return client.post(f"/dashboard/san-pham/{product_id}/anh", data=body, content_type=content_type)


def stored_files(app) -> list[str]:
    root = get_storage_root(app)
    return sorted(p.name for p in root.rglob("*.webp")) if root.exists() else []


def get_storage_root(app):
    with app.app_context():
        return get_storage().root


def photos_of(app, product_id) -> list[ProductPhoto]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(ProductPhoto).where(ProductPhoto.product_id == product_id).order_by(ProductPhoto.position)
            )
        )


def test_owner_uploads_a_phone_photo_and_it_is_served_clean_with_long_cache(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    page = client.get(f"/dashboard/san-pham/{product_id}/anh")
    assert page.status_code == 200
    assert "Sản phẩm chưa có ảnh" in page.get_data(as_text=True)

    response = upload(client, product_id, ("IMG_0001.jpg", samples.jpeg_with_orientation_and_gps()))
    assert response.status_code == 302
    [photo] = photos_of(app, product_id)
    assert (photo.width, photo.height) == (200, 300)
    assert photo.position == 0

    page = client.get(f"/dashboard/san-pham/{product_id}/anh").get_data(as_text=True)
    assert "Đã thêm 1 ảnh" in page
    assert "Ảnh bìa" in page
    assert f"/media/{photo.key}-320.webp" in page

    with client.get(f"/media/{rendition_name(photo.key, 800)}") as served:
        served_data = served.get_data()
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]
    image = Image.open(io.BytesIO(served_data))
    assert image.size == (200, 300)
    assert not image.getexif()
    assert b"TestPhone" not in served_data


def test_text_file_named_jpg_is_refused_with_a_message_and_nothing_is_stored(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    response = upload(client, product_id, ("anh.jpg", "không phải ảnh".encode()))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "anh.jpg" in body and "không phải ảnh JPEG, PNG hoặc WebP" in body
    assert photos_of(app, product_id) == []
    assert stored_files(app) == []


def test_one_bad_file_in_a_batch_saves_nothing_and_leaves_no_files(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    response = upload(
        client,
        product_id,
        ("tot.png", samples.png_bytes()),
        ("hong.jpg", samples.truncated_jpeg()),
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "hong.jpg" in body and "bị hỏng" in body
    assert "Chưa ảnh nào được lưu" in body
    assert photos_of(app, product_id) == []
    assert stored_files(app) == []  # the good file's renditions were cleaned up


def test_pixel_flood_and_oversized_files_are_refused(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    flood = upload(client, product_id, ("flood.png", samples.pixel_flood_png()))
    assert flood.status_code == 400
    assert "megapixel" in flood.get_data(as_text=True)
    big = upload(client, product_id, ("big.jpg", samples.big_file()))
    assert big.status_code == 400
    assert "tối đa 10 MB" in big.get_data(as_text=True)
    assert photos_of(app, product_id) == []


def test_request_over_the_upload_limit_gets_a_vietnamese_413_page(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    response = upload(client, product_id, ("huge.jpg", samples.big_file(13 * 1024 * 1024)))
    assert response.status_code == 413
    assert "Tệp tải lên quá lớn" in response.get_data(as_text=True)
    assert photos_of(app, product_id) == []


def test_at_most_eight_photos(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    colours = [(i * 30, 255 - i * 25, 40) for i in range(9)]
    files = [(f"{i}.png", samples.png_bytes(Image.new("RGB", (40, 30), c))) for i, c in enumerate(colours)]
    assert upload(client, product_id, *files[:8]).status_code == 302
    assert len(photos_of(app, product_id)) == 8
    response = upload(client, product_id, files[8])
    assert response.status_code == 400
    assert "tối đa 8 ảnh" in response.get_data(as_text=True)
    assert len(photos_of(app, product_id)) == 8
    page = client.get(f"/dashboard/san-pham/{product_id}/anh").get_data(as_text=True)
    assert "đã đủ 8 ảnh" in page


def test_batch_larger_than_the_free_slots_is_refused_whole(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    files = [(f"{i}.png", samples.png_bytes(Image.new("RGB", (40, 30), (i * 20, 0, 0)))) for i in range(9)]
    response = upload(client, product_id, *files)
    assert response.status_code == 400
    assert photos_of(app, product_id) == []


def test_reorder_and_choose_cover(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    files = [(f"{n}.png", samples.png_bytes(Image.new("RGB", (40, 30), c))) for n, c in
             (("a", (255, 0, 0)), ("b", (0, 255, 0)), ("c", (0, 0, 255)))]
    upload(client, product_id, *files)
    a, b, c = (p.id for p in photos_of(app, product_id))

    def order():
        return [p.id for p in photos_of(app, product_id)]

    assert client.post(f"/dashboard/san-pham/{product_id}/anh/{c}/len").status_code == 302
    assert order() == [a, c, b]
    client.post(f"/dashboard/san-pham/{product_id}/anh/{a}/xuong")
    assert order() == [c, a, b]
    client.post(f"/dashboard/san-pham/{product_id}/anh/{c}/len")  # already first: no change
    assert order() == [c, a, b]
    client.post(f"/dashboard/san-pham/{product_id}/anh/{b}/anh-bia")
    assert order() == [b, c, a]
    assert [p.position for p in photos_of(app, product_id)] == [0, 1, 2]
    with app.app_context():
        assert db.session.get(Product, product_id).cover.id == b


def test_deleting_a_photo_removes_its_files_unless_another_product_uses_them(app, client, draft_product):
    seller_id, user_id, product_id = draft_product.seller_id, draft_product.owner_id, draft_product.id
    with app.app_context():
        other = make_product(seller_id=seller_id, name="Chè móc câu", status="draft")
        db.session.commit()
        other_id = other.id
    login(client, user_id)
    shared = samples.png_bytes()
    upload(client, product_id, ("a.png", shared), ("b.png", samples.jpeg_bytes()))
    upload(client, other_id, ("same.png", shared))
    first, second = photos_of(app, product_id)
    assert first.key == photos_of(app, other_id)[0].key
    assert len(stored_files(app)) == 6

    # The picture also used by the other product keeps its files.
    assert client.post(f"/dashboard/san-pham/{product_id}/anh/{first.id}/xoa").status_code == 302
    assert len(stored_files(app)) == 6
    remaining = photos_of(app, product_id)
    assert [p.id for p in remaining] == [second.id] and remaining[0].position == 0

    # A picture nobody uses any more loses its files.
    client.post(f"/dashboard/san-pham/{product_id}/anh/{second.id}/xoa")
    assert sorted(stored_files(app)) == sorted(rendition_name(first.key, w) for w in (320, 800, 1600))

    # Deleting the product (by any code path) removes its photos' files too.
    with app.app_context():
        db.session.delete(db.session.get(Product, other_id))
        db.session.commit()
    assert stored_files(app) == []
    assert client.get(f"/media/{rendition_name(first.key, 320)}").status_code == 404


def test_other_sellers_and_strangers_cannot_touch_photos(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    upload(client, product_id, ("a.png", samples.png_bytes()))
    [photo] = photos_of(app, product_id)
    with app.app_context():
        intruder = make_user(role="seller", seller=make_seller(name="HTX Khác"))
        buyer = make_user(role="buyer")
        db.session.commit()
        intruder_id, buyer_id = intruder.id, buyer.id

    urls_get = [f"/dashboard/san-pham/{product_id}/anh"]
    urls_post = [f"/dashboard/san-pham/{product_id}/anh/{photo.id}/{action}" for action in ("xoa", "len", "xuong", "anh-bia")]
    for who in (intruder_id, buyer_id):
        other = app.test_client()
        login(other, who)
        for url in urls_get:
            assert other.get(url).status_code == 404, url
        for url in urls_post:
            assert other.post(url).status_code == 404, url
        assert upload(other, product_id, ("x.png", samples.jpeg_bytes())).status_code == 404
    anonymous = app.test_client()
    assert is_login_redirect(anonymous.get(urls_get[0]), urls_get[0])
    assert is_login_redirect(anonymous.post(urls_post[0]), urls_post[0])
    assert [p.id for p in photos_of(app, product_id)] == [photo.id]

    # A photo id of another product of the same seller is not reachable through this one.
    with app.app_context():
        owner_seller_id = db.session.get(Product, product_id).seller_id
        second = make_product(seller_id=owner_seller_id, name="Sản phẩm thứ hai")
        db.session.commit()
        second_id = second.id
    assert client.post(f"/dashboard/san-pham/{second_id}/anh/{photo.id}/xoa").status_code == 404
    assert len(photos_of(app, product_id)) == 1


def test_csrf_token_is_required_for_uploads_and_actions(csrf_app):
    app = csrf_app
    with app.app_context():
        seller = make_seller()
        user = make_user(role="seller", seller=seller)
        product = make_product(seller=seller, status="draft")
        db.session.commit()
        user_id, product_id = user.id, product.id
    client = app.test_client()
    login(client, user_id)
    response = upload(client, product_id, ("a.png", samples.png_bytes()))
    assert response.status_code == 400
    assert photos_of(app, product_id) == []
    assert stored_files(app) == []

    page = client.get(f"/dashboard/san-pham/{product_id}/anh").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body, content_type = multipart([("photos", "a.png", samples.png_bytes())], csrf_token=token)
    ok = client.post(f"/dashboard/san-pham/{product_id}/anh", data=body, content_type=content_type)
    assert ok.status_code == 302
    [photo] = photos_of(app, product_id)
    assert client.post(f"/dashboard/san-pham/{product_id}/anh/{photo.id}/xoa").status_code == 400
    assert len(photos_of(app, product_id)) == 1


def test_certificate_scan_pdfs_are_not_served_publicly(app, client):
    with app.app_context():
        name = "ab" * 32 + ".pdf"
        get_storage().save(name, b"%PDF-1.4 scan")
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get("/media/khong-hop-le.webp").status_code == 404


def test_the_same_picture_twice_on_one_product_is_refused(app, client, draft_product):
    user_id, product_id = draft_product.owner_id, draft_product.id
    login(client, user_id)
    assert upload(client, product_id, ("a.png", samples.png_bytes())).status_code == 302
    again = upload(client, product_id, ("a-copy.png", samples.png_bytes()))
    assert again.status_code == 400
    assert "Ảnh này đã có trong sản phẩm" in again.get_data(as_text=True)
    assert len(photos_of(app, product_id)) == 1
    assert len(stored_files(app)) == 3  # the first photo's files are untouched
