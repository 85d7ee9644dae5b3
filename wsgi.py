"""Entry point for the WSGI server (``waitress-serve wsgi:app``) and the ``flask --app wsgi`` commands."""
import sys
from pathlib import Path

from inspector import create_app

# The server refuses to start on an invalid checklist; the flask command line
# still starts, so that `flask forms check` can list the problems.
app = create_app(strict_checklists=Path(sys.argv[0]).name != "flask")
