"""Media: storage and images. ``get_storage()`` returns the app's Storage."""
from __future__ import annotations

from flask import Flask, current_app

from .storage import LocalStorage, Storage


def init_media(app: Flask) -> None:
    app.extensions["storage"] = LocalStorage(app.config["UPLOAD_FOLDER"])
    from .services import init_photo_gc

    init_photo_gc()


def get_storage() -> Storage:
    return current_app.extensions["storage"]
