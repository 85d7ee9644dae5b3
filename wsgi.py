"""Entry point for the WSGI server (``waitress-serve wsgi:app``) and the ``flask --app wsgi`` commands."""
import sys
from pathlib import Path

from inspector import create_app

# The server refuses to start on an invalid checklist or a data folder whose layout is behind; the flask
# command line still starts, so that `flask forms check` and `flask db upgrade` can report and repair.
app = create_app(strict=Path(sys.argv[0]).name != "flask")
