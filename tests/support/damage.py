"""Ways a data file gets damaged on disk (cut short, emptied, garbled, not tables), for the damage and repair
tests; each rewrites the file in place, as a failing disk or a careless hand would."""

from __future__ import annotations


def cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def emptied(path):
    path.write_bytes(b"")


def garbled(path):
    path.write_bytes(b"\x00\xff" + path.read_bytes()[2:])


def not_tables(path):
    path.write_bytes(b"[1, 2, 3]")


DAMAGE = {"cut in half": cut_in_half, "emptied": emptied, "garbled": garbled, "not tables": not_tables}


def torn_last_line(path):
    """An audit file whose last append died part way: a line without its newline."""
    path.write_bytes(path.read_bytes() + b'{"seq": 999, "at": "2026-')


def unreadable_last_line(path):
    """An audit file whose last whole line is not an entry."""
    path.write_bytes(path.read_bytes() + b'{"seq": 999, garbled}\n')
