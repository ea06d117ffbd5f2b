from flask import Blueprint

bp = Blueprint("sellers", __name__)
