"""Demo accounts: one admin, one staff member, a seller account for a few real
cooperatives of the demo catalog and one buyer.

Passwords are generated at seed time (``secrets``), never stored in the code: the
command prints them once and writes them to ``DEMO_ACCOUNTS_FILE`` (default
``instance/demo-accounts.txt``, git-ignored, mode 600). An account that already exists
keeps its password (after ``--reset`` a seller account is attached to the new row of
its cooperative), so the file is written only for accounts created now.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from ..accounts.models import User
from ..extensions import db
from ..sellers.models import Seller
from ..text import utcnow

DOMAIN = "ocop-demo.example.com"  # reserved example domain: no mail reaches anyone
ACCOUNTS = (
    # (e-mail local part, role, display name, seller slug)
    ("quantri", "admin", "Quản trị sàn (demo)", None),
    ("nhanvien", "staff", "Nhân viên xúc tiến thương mại (demo)", None),
    ("haodat", "seller", "HTX chè Hảo Đạt (demo)", "htx-che-hao-dat"),
    ("vietcuong", "seller", "HTX miến Việt Cường (demo)", "htx-mien-viet-cuong"),
    ("nguyenviet", "seller", "HTX chè an toàn Nguyên Việt (demo)", "htx-che-an-toan-nguyen-viet"),
    ("nguoimua", "buyer", "Người mua (demo)", None),
    # Buyers of the sourcing demo (their organisations: sourcing.demo.BUYERS).
    ("nhahang", "buyer", "Bếp trưởng nhà hàng (demo)", None),
    ("xuatkhau", "buyer", "Phòng thu mua xuất khẩu (demo)", None),
    ("quantra", "buyer", "Chủ quán trà (demo)", None),
)


@dataclass
class NewAccount:
    email: str
    role: str
    password: str
    seller: str | None


def accounts_file() -> Path:
    configured = current_app.config.get("DEMO_ACCOUNTS_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "demo-accounts.txt"


def ensure_demo_accounts() -> list[NewAccount]:
    """Create the missing demo accounts (flush only) and re-attach seller accounts to their
    cooperative. Returns the accounts created now, with their one-time passwords."""
    created = []
    for local, role, name, seller_slug in ACCOUNTS:
        email = f"{local}@{DOMAIN}"
        seller = None
        if seller_slug is not None:
            seller = db.session.scalars(sa.select(Seller).where(Seller.slug == seller_slug)).first()
            if seller is None:
                continue  # the cooperative is not in this catalog
        user = db.session.scalars(sa.select(User).where(User.email == email)).first()
        if user is not None:
            if seller is not None and user.role == "seller":
                user.seller = seller
            continue
        password = secrets.token_urlsafe(12)
        db.session.add(User(email=email, name=name, role=role, seller=seller, created_at=utcnow(),
                            password_hash=generate_password_hash(password)))
        created.append(NewAccount(email, role, password, seller.name if seller else None))
    db.session.flush()
    return created


def format_accounts(accounts: list[NewAccount]) -> list[str]:
    lines = []
    for a in accounts:
        extra = f"  ({a.seller})" if a.seller else ""
        lines.append(f"{a.role:<7} {a.email:<36} {a.password}{extra}")
    return lines


def write_accounts_file(accounts: list[NewAccount]) -> Path | None:
    """Append the new accounts to the file (created with mode 600); never rewrites what
    is there. Returns the path, or None when there was nothing to write."""
    if not accounts:
        return None
    path = accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        if fresh:
            fh.write("# Tài khoản demo của Sàn OCOP (tạo bởi seed-demo). Đăng nhập tại /dang-nhap.\n"
                     "# Không đưa tệp này vào git; đổi mật khẩu tại /tai-khoan/mat-khau.\n")
        fh.write(f"# {utcnow():%Y-%m-%d %H:%M} UTC\n")
        fh.write("\n".join(format_accounts(accounts)) + "\n")
    return path
