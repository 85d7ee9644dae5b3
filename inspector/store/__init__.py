"""The only code that touches TinyDB or the data folder's files."""

from __future__ import annotations

from pathlib import Path

from . import upgrade
from .audit import AuditLog
from .concerns import ConcernStore
from .engine import sweep_stale_temporaries
from .followups import FollowupStore
from .checklists import ChecklistArchive
from .lks import LksStore
from .notifications import NotificationStore
from .photos import PhotoStore
from .review_index import ReviewIndex
from .inspections import InspectionStore
from .throttle import ThrottleStore
from .users import UserStore


class Store:
    """Every record kind under one data folder.

    A folder whose layout is older than this version is refused (``upgrade.SchemaBehind``) unless
    ``layout_behind_ok``: the ``flask`` commands open it so that ``flask db upgrade`` can bring it up to date.
    """

    def __init__(self, root: str | Path, layout_behind_ok: bool = False):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.layout_behind: upgrade.SchemaBehind | None = None
        try:
            upgrade.open_or_refuse(self.root)
        except upgrade.SchemaBehind as behind:
            if not layout_behind_ok:
                raise
            self.layout_behind = behind
        sweep_stale_temporaries(self.root)
        self.users = UserStore(self.root)
        self.lks = LksStore(self.root)
        self.inspections = InspectionStore(self.root)
        self.throttle = ThrottleStore(self.root)
        self.photos = PhotoStore(self.root)
        self.checklists = ChecklistArchive(self.root)
        self.audit = AuditLog(self.root)
        self.review_index = ReviewIndex(self.root)
        self.notifications = NotificationStore(self.root)
        self.followups = FollowupStore(self.root)
        self.concerns = ConcernStore(self.root)

    def layout(self) -> tuple[int, int]:
        """(the data folder's layout version, the version this Inspector reads)."""
        return upgrade.version(self.root), upgrade.CURRENT

    def upgrade_layout(self, say=lambda line: None) -> list[int]:
        """Bring the data folder's layout up to date (see ``upgrade``); the versions reached."""
        reached = upgrade.upgrade(self.root, say)
        self.layout_behind = None
        return reached
