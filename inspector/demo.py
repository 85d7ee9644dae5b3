"""Demo data: visibly fictional LKS placed in real kecamatan and kelurahan, one account per role."""

from __future__ import annotations

import random

from . import accounts, audit, second_factor
from .places import KECAMATAN
from .lks import CODE_ALPHABET, CODE_LENGTH

# Approximate centres of each kecamatan, for plausible demo coordinates.
CENTRES = {
    "Batuceper": (-6.165, 106.655), "Benda": (-6.125, 106.690), "Cibodas": (-6.205, 106.600),
    "Ciledug": (-6.230, 106.710), "Cipondoh": (-6.185, 106.690), "Jatiuwung": (-6.200, 106.575),
    "Karangtengah": (-6.205, 106.725), "Karawaci": (-6.190, 106.615), "Larangan": (-6.235, 106.735),
    "Neglasari": (-6.145, 106.645), "Periuk": (-6.175, 106.590), "Pinang": (-6.220, 106.665),
    "Tangerang": (-6.185, 106.635),
}
PREFIXES = {
    "lksa": ("Panti Asuhan Contoh", "Yayasan Contoh Asuhan Anak", "Rumah Anak Contoh"),
    "elderly": ("Panti Werdha Contoh", "Griya Lansia Contoh"),
    "disability": ("Rumah Disabilitas Contoh", "Yayasan Contoh Tunas Mandiri"),
    "other": ("LKS Contoh", "Rumah Singgah Contoh"),
}
WORDS = ("Kasih", "Harapan", "Cahaya", "Bunda", "Pelita", "Sejahtera", "Amanah", "Bakti", "Ceria", "Mulia",
         "Insan", "Permata", "Damai", "Rahmat", "Sentosa", "Bina", "Nurani", "Kartini")
STREETS = ("Jl. Contoh Raya", "Jl. Melati Contoh", "Jl. Kenanga Contoh", "Gg. Mawar Contoh", "Jl. Fiktif")

DEMO_ACCOUNTS = (
    # username, password, role, name, agency  (demo only: printed at start, never use in production)
    ("admin", "demo-admin-2026", "admin", "Admin Contoh", "Dinas Sosial"),
    ("peninjau", "demo-peninjau-2026", "reviewer", "Peninjau Contoh", "Dinas Sosial"),
    ("petugas", "demo-petugas-2026", "inspector", "Petugas Contoh", "Satpol PP"),
    ("operator", "demo-operator-2026", "operator", "Operator Contoh", ""),
)
# The second-factor secrets of the demo's admin and reviewer, published in the README like the passwords
# (demo only), so that anyone can try every role: make a code with pyotp or oathtool.
DEMO_SECRETS = {"admin": "XXQG6LFJ3KEQD5O5FHTIZ7FBHWCRXTXS", "peninjau": "S4FLIWV4PMV5QW6TZCDNFZYW3VM642S2"}
LKS_COUNT = 72


def demo_lks(count: int = LKS_COUNT, seed: int = 2024) -> list[dict]:
    """``count`` fictional LKS spread over the 13 kecamatan; the first sits in Kunciran Indah, Pinang."""
    rng = random.Random(seed)
    kinds = ["lksa"] * 5 + ["elderly"] * 2 + ["disability"] * 2 + ["other"]
    kecamatan_names = list(KECAMATAN)
    records, codes = [], set()
    for index in range(count):
        kind = "lksa" if index == 0 else rng.choice(kinds)
        kecamatan = "Pinang" if index == 0 else kecamatan_names[index % len(kecamatan_names)]
        kelurahan = "Kunciran Indah" if index == 0 else rng.choice(KECAMATAN[kecamatan])
        name = "Panti Asuhan Contoh Kasih" if index == 0 else \
            f"{rng.choice(PREFIXES[kind])} {rng.choice(WORDS)} {index + 1}"
        lat, lon = CENTRES[kecamatan]
        code = ""
        while not code or code in codes:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        codes.add(code)
        grade = rng.choice(["", "", "A", "B", "C"])
        registered = rng.random() < 0.8
        records.append({
            "code": code, "name": name, "kind": kind,
            "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, Kel. {kelurahan}",
            "kelurahan": kelurahan, "kecamatan": kecamatan,
            "lat": round(lat + rng.uniform(-0.01, 0.01), 6), "lon": round(lon + rng.uniform(-0.01, 0.01), 6),
            "contact_name": f"Pengurus Contoh {index + 1}", "contact_phone": f"0812-0000-{index + 1:04d}",
            "registered": registered, "registration_number": f"DEMO/{index + 1:03d}/2026" if registered else "",
            "accreditation": grade if registered else "",
            "accreditation_expiry": f"{rng.randint(2025, 2030)}-{rng.randint(1, 12):02d}-28"
            if grade and registered else "",
            "capacity": rng.randint(10, 80), "active": True,
        })
    return records


def seed(store) -> list[tuple[str, str, str]] | None:
    """Fill an empty store with demo data; returns the demo credentials, or None if data exists. The admin and
    the reviewer get their published second-factor secret (``DEMO_SECRETS``)."""
    if store.users.count() or store.lks.all():
        return None
    lks = store.lks.create_many(demo_lks())
    audit.record(store, None, "lks_imported", "lks", None, count=len(lks), lks_ids=[r["id"] for r in lks])
    credentials = []
    for username, password, role, name, agency in DEMO_ACCOUNTS:
        record, errors = accounts.create(store, {
            "username": username, "password": password, "role": role, "name": name, "agency": agency,
            "lks_ids": [lks[0]["id"]] if role == "operator" else []})
        if errors:
            raise RuntimeError(f"demo account {username}: {errors}")
        if username in DEMO_SECRETS:
            second_factor.activate(store, record["id"], DEMO_SECRETS[username])
        audit.record(store, None, "account_created", "user", record["id"], role=role)
        credentials.append((username, password, role))
    return credentials
