"""Photos and the checklist archive: bytes kept whole under their owner, definitions kept once by digest."""

from __future__ import annotations

import re

import pytest

OWNER = f"l{'a' * 12}-202601-{'0' * 12}"
JPEG, THUMB = b"\xff\xd8" + b"photo" * 1000 + b"\xff\xd9", b"\xff\xd8thumb\xff\xd9"


def test_a_photo_is_read_back_whole_with_its_thumbnail_and_deleted_with_it(store):
    photo_id = store.photos.save(OWNER, JPEG, THUMB)
    assert re.fullmatch(r"p[0-9a-f]{12}", photo_id)
    assert store.photos.save(OWNER, JPEG, THUMB) != photo_id
    assert store.photos.read(OWNER, photo_id) == JPEG
    assert store.photos.read(OWNER, photo_id, thumb=True) == THUMB
    assert store.photos.read("f" + "0" * 12, photo_id) is None  # kept under its owner only
    store.photos.delete(OWNER, photo_id)
    assert store.photos.read(OWNER, photo_id) is None and store.photos.read(OWNER, photo_id, thumb=True) is None
    store.photos.delete(OWNER, photo_id)  # idempotent


@pytest.mark.parametrize(("owner", "photo_id"), [("../users", "p" + "0" * 12), ("", "p" + "0" * 12),
                                                 (None, "p" + "0" * 12), (OWNER, "../../users"),
                                                 (OWNER, "p" + "0" * 11), (OWNER, None), ("A" * 65, "p" + "0" * 12)])
def test_a_malformed_photo_reference_reads_as_none_and_cannot_be_deleted(store, owner, photo_id):
    store.photos.save(OWNER, JPEG, THUMB)
    assert store.photos.read(owner, photo_id) is None
    with pytest.raises(ValueError):
        store.photos.delete(owner, photo_id)


@pytest.mark.parametrize("owner", ["../users", "", None, "Owner", "a/b"])
def test_a_photo_cannot_be_saved_under_a_malformed_owner(store, owner):
    with pytest.raises(ValueError):
        store.photos.save(owner, JPEG, THUMB)


def test_a_checklist_definition_is_kept_once_by_digest(store):
    source = {"id": "lksa", "items": [{"id": "q1", "text": "Ada air bersih?"}]}
    assert store.checklists.get("a" * 64) is None
    store.checklists.keep("a" * 64, source)
    store.checklists.keep("a" * 64, {"id": "changed"})  # added once, never changed
    store.checklists.keep("b" * 64, {"id": "lksa", "items": []})
    assert store.checklists.get("a" * 64) == source
    assert store.checklists.get("b" * 64) == {"id": "lksa", "items": []}
    source["items"].clear()  # what was given is copied
    assert store.checklists.get("a" * 64)["items"] == [{"id": "q1", "text": "Ada air bersih?"}]
