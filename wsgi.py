"""Entry point for the WSGI server (waitress): ``waitress-serve wsgi:app``."""
from inspector import create_app

app = create_app()
