"""The only code that touches TinyDB or the data folder's files; what it offers the app is in ``contract``."""

from __future__ import annotations

from pathlib import Path

from . import contract, space, upgrade
from .audit import AuditLog
from .concerns import ConcernStore
from .engine import make_folders, sweep_stale_temporaries
from .followups import FollowupStore
from .checklists import ChecklistArchive
from .keys import SecretStore
from .lks import LksStore
from .notifications import NotificationStore
from .outbox import OutboxStore
from .photos import PhotoStore
from .review_index import ReviewIndex
from .inspections import InspectionStore
from .throttle import ThrottleStore
from .users import UserStore


class Store:
    """Every record kind under one data folder, each member implementing its interface of ``contract``.

    ``Store(root)`` and ``root`` are this engine's own: the rest of the app
    receives a store and uses only the members below. A folder whose layout is
    older than this version is refused (``upgrade.SchemaBehind``) unless
    ``layout_behind_ok``: the ``flask`` commands open it so that ``flask db upgrade``
    can bring it up to date.
    """

    users: contract.Users
    lks: contract.Lks
    inspections: contract.Inspections
    review_index: contract.ReviewIndex
    photos: contract.Photos
    checklists: contract.ChecklistArchive
    audit: contract.AuditTrail
    notifications: contract.Notifications
    followups: contract.Followups
    concerns: contract.Concerns
    throttle: contract.Throttle
    secrets: contract.Secrets
    outbox: contract.Outbox

    def __init__(self, root: str | Path, layout_behind_ok: bool = False):
        self.root = Path(root)
        make_folders(self.root)  # new folders 0700
        self.layout_behind: upgrade.SchemaBehind | None = None
        try:
            upgrade.open_or_refuse(self.root)
        except upgrade.SchemaBehind as behind:
            if not layout_behind_ok:
                raise
            self.layout_behind = behind
        sweep_stale_temporaries(self.root)
        self.outbox = OutboxStore(self.root)
        self.users = UserStore(self.root)
        self.lks = LksStore(self.root)
        self.inspections = InspectionStore(self.root, self.outbox)
        self.throttle = ThrottleStore(self.root)
        self.photos = PhotoStore(self.root)
        self.checklists = ChecklistArchive(self.root)
        self.audit = AuditLog(self.root)
        self.review_index = ReviewIndex(self.root)
        self.notifications = NotificationStore(self.root)
        self.followups = FollowupStore(self.root)
        self.concerns = ConcernStore(self.root, self.outbox)
        self.secrets = SecretStore(self.root)

    def layout(self) -> tuple[int, int]:
        """(the data folder's layout version, the version this Inspector reads)."""
        return upgrade.version(self.root), upgrade.CURRENT

    def disk_space(self) -> tuple[int, int]:
        """(free bytes, total bytes) of the disk holding the data folder."""
        return space.usage(self.root)

    def upgrade_layout(self, say=lambda line: None) -> list[int]:
        """Bring the data folder's layout up to date (see ``upgrade``); the versions reached."""
        reached = upgrade.upgrade(self.root, say)
        self.layout_behind = None
        return reached
