"""Signing in and out (consultants and organisation viewers)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
