"""Kota Tangerang: its 13 kecamatan and 104 kelurahan, and the city's coordinates."""

KECAMATAN: dict[str, tuple[str, ...]] = {
    "Batuceper": ("Batuceper", "Batujaya", "Batusari", "Kebon Besar", "Poris Gaga", "Poris Gaga Baru",
                  "Poris Jaya"),
    "Benda": ("Belendung", "Benda", "Jurumudi", "Jurumudi Baru", "Pajang"),
    "Cibodas": ("Cibodas", "Cibodas Baru", "Cibodasari", "Jatibaru", "Panunggangan Barat", "Uwung Jaya"),
    "Ciledug": ("Paninggilan", "Paninggilan Utara", "Parung Serab", "Sudimara Barat", "Sudimara Jaya",
                "Sudimara Selatan", "Sudimara Timur", "Tajur"),
    "Cipondoh": ("Cipondoh", "Cipondoh Indah", "Cipondoh Makmur", "Gondrong", "Kenanga", "Ketapang", "Petir",
                 "Poris Plawad", "Poris Plawad Indah", "Poris Plawad Utara"),
    "Jatiuwung": ("Alam Jaya", "Gandasari", "Jatake", "Keroncong", "Manis Jaya", "Pasir Jaya"),
    "Karangtengah": ("Karang Mulya", "Karang Tengah", "Karang Timur", "Parung Jaya", "Pedurenan",
                     "Pondok Bahar", "Pondok Pucung"),
    "Karawaci": ("Bojong Jaya", "Bugel", "Cimone", "Cimone Jaya", "Gerendeng", "Karawaci", "Karawaci Baru",
                 "Koang Jaya", "Margasari", "Nambo Jaya", "Nusa Jaya", "Pabuaran", "Pabuaran Tumpeng",
                 "Pasar Baru", "Sukajadi", "Sumur Pancing"),
    "Larangan": ("Cipadu", "Cipadu Jaya", "Gaga", "Kreo", "Kreo Selatan", "Larangan Indah", "Larangan Selatan",
                 "Larangan Utara"),
    "Neglasari": ("Karang Anyar", "Karang Sari", "Kedaung Baru", "Kedaung Wetan", "Mekarsari", "Neglasari",
                  "Selapajang Jaya"),
    "Periuk": ("Gebang Raya", "Gembor", "Periuk", "Periuk Jaya", "Sangiang Jaya"),
    "Pinang": ("Cipete", "Kunciran", "Kunciran Indah", "Kunciran Jaya", "Nerogtog", "Pakojan", "Panunggangan",
               "Panunggangan Timur", "Panunggangan Utara", "Pinang", "Sudimara Pinang"),
    "Tangerang": ("Babakan", "Buaran Indah", "Cikokol", "Kelapa Indah", "Sukaasih", "Sukarasa", "Sukasari",
                  "Tanah Tinggi"),
}

# The city's bounding box, generous by a few kilometres: coordinates outside it are a typing error.
LAT_RANGE = (-6.30, -6.10)
LON_RANGE = (106.55, 106.78)
