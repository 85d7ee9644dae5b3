"""Objects every layer may import, bound to the app by ``create_app``: CSRF protection and the sign-in manager."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

login_manager = LoginManager()
login_manager.login_view = "account.login"
login_manager.login_message = "Silakan masuk terlebih dahulu."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"
