"""A4 QR posters for the LKS: one page per LKS as PNG or PDF, and a batch PDF, drawn with Pillow alone.

A page is laid out first (``layout``: every text line, filled box and the QR, each with its place on
the page) and then drawn (``draw``), so the tests can check what a poster says and that nothing
overlaps or runs off the page. PDFs are written page by page (``PdfWriter``): a batch of a few
hundred LKS holds one page image in memory at a time, not all of them as Pillow's ``save_all`` would.
"""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Iterable

from PIL import Image, ImageDraw, ImageFont

from .places import KECAMATAN
from .qr import lks_url, qr_image
from .timefmt import format_date, today_wib

# Debian's fonts-dejavu-core; Pillow's own default font when it is missing.
FONT_FILES = {False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")}

A4_MM = (210, 297)
DESIGN_DPI = 300  # every length below is in pixels at this resolution, scaled for others
DPI = 300  # one poster
BATCH_DPI = 150  # the batch from the web: a quarter of the pixels per page; the QR keeps its printed size
QR_CM = 10.0  # the QR symbol's printed width, without its quiet zone
MIN_QR_CM = 8.0
MAX_BATCH = 300  # pages in one batch PDF

HEADER = "DINAS SOSIAL KOTA TANGERANG"
SUBHEADER = "Pemantauan Lembaga Kesejahteraan Sosial"
INSTRUCTIONS = (("Petugas:", "pindai kode ini untuk mulai inspeksi."),
                ("Masyarakat:", "pindai untuk melihat status lembaga ini dan cara melapor."))
HOTLINE_INTRO = "Melihat atau mengalami kekerasan terhadap anak? Hubungi"
HOTLINE = "SAPA 129"
HOTLINE_NUMBERS = "Telepon 129  ·  WhatsApp 08111-129-129"
FOOTER = "Dinas Sosial Kota Tangerang  ·  Dicetak {date}"

WHITE = (255, 255, 255)
INK = (17, 17, 17)
GREY = (80, 80, 80)
BLUE = (11, 61, 145)  # dark in greyscale too: the posters also go through black-and-white printers
RED = (185, 20, 30)

NAME_SIZES = (112, 104, 96, 88, 80, 72, 64, 56, 48)
NAME_LINES = 3


class UnknownKecamatan(ValueError):
    pass


class LayoutError(RuntimeError):
    pass


def page_size(dpi: int) -> tuple[int, int]:
    """A4 in pixels: 2480 x 3508 at 300 dpi."""
    return tuple(round(mm / 25.4 * dpi) for mm in A4_MM)


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = FONT_FILES[bold]
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class Text:
    """One line of text; (x, y) is its top-left corner (the font's ascender line)."""
    text: str
    x: int
    y: int
    size: int
    bold: bool
    color: tuple[int, int, int]
    width: int
    height: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.x + self.width, self.y + self.height)


@dataclass(frozen=True)
class Block:
    box: tuple[int, int, int, int]
    color: tuple[int, int, int]
    radius: int = 0


@dataclass
class Layout:
    size: tuple[int, int]
    dpi: int
    url: str
    qr: Image.Image
    qr_at: tuple[int, int]
    qr_modules: int  # the symbol's width in modules, without the quiet zone
    qr_module_px: int
    blocks: list[Block] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)

    @property
    def qr_box(self) -> tuple[int, int, int, int]:
        """The QR image with its quiet zone."""
        x, y = self.qr_at
        return (x, y, x + self.qr.width, y + self.qr.height)

    @property
    def qr_cm(self) -> float:
        """The printed width of the QR symbol (without the quiet zone)."""
        return self.qr_modules * self.qr_module_px / self.dpi * 2.54

    def strings(self) -> list[str]:
        return [t.text for t in self.texts]


class _Pen:
    """Measures lines at a resolution; lengths are given at DESIGN_DPI."""

    def __init__(self, dpi: int):
        self.dpi = dpi
        self.width, self.height = page_size(dpi)

    def px(self, length: float) -> int:
        return round(length * self.dpi / DESIGN_DPI)

    def font(self, size: int, bold: bool) -> ImageFont.FreeTypeFont:
        return font(max(1, self.px(size)), bold)

    def length(self, text: str, size: int, bold: bool) -> int:
        return round(self.font(size, bold).getlength(text))

    def line(self, text: str, size: int, y: int, bold: bool = False, color=INK, x: int | None = None) -> Text:
        face = self.font(size, bold)
        ascent, descent = face.getmetrics()
        width = round(face.getlength(text))
        x = (self.width - width) // 2 if x is None else x
        return Text(text, x, y, face.size, bold, color, width, ascent + descent)

    @staticmethod
    def advance(text: Text) -> int:
        """From this line's top to the next one's: 1.22 times the font size, or the font's own line height
        when that is more (Pillow's fallback font)."""
        return max(text.height, round(text.size * 1.22))

    def fit(self, text: str, size: int, bold: bool, width: int, smallest: int) -> int:
        """The largest size not above ``size`` at which ``text`` fits on one line of ``width``."""
        while size > smallest and self.length(text, size, bold) > width:
            size -= 2
        return size

    def wrap(self, text: str, size: int, bold: bool, width: int, break_words: bool = True) -> list[str] | None:
        """Greedy word wrap; a word longer than the line is cut where it has to be (or, without
        ``break_words``, None: the caller shrinks first)."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            if not break_words and self.length(word, size, bold) > width:
                return None
            while self.length(word, size, bold) > width:
                cut = 1
                while cut < len(word) and self.length(word[:cut + 1], size, bold) <= width:
                    cut += 1
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:cut])
                word = word[cut:]
            candidate = f"{current} {word}".strip()
            if current and self.length(candidate, size, bold) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
        return lines


def _name_options(pen: _Pen, name: str, width: int):
    """The LKS name's layouts to try, best first: wrapped whole words at each size from the largest (at most
    three lines); then long words broken, from the largest size again; last, the smallest size shortened
    with '…'. The first that leaves room for the rest of the page is taken."""
    for break_words in (False, True):
        for size in NAME_SIZES:
            lines = pen.wrap(name, size, True, width, break_words)
            if lines is not None and len(lines) <= NAME_LINES:
                yield size, lines
    size = NAME_SIZES[-1]
    lines = (pen.wrap(name, size, True, width) or [""])[:NAME_LINES]
    last = lines[-1]
    while last and pen.length(last + " …", size, True) > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + " …"
    yield size, lines


def _qr(url: str, dpi: int) -> tuple[Image.Image, int, int]:
    """The QR image (quiet zone included), its modules without the quiet zone, and a module's pixels."""
    small = qr_image(url, 1)  # one pixel a module: scaled up exactly, rather than made again
    modules = small.width - 8  # qr_image's quiet zone: 4 modules each side
    module_px = max(round(QR_CM / 2.54 * dpi / modules), math.ceil(MIN_QR_CM / 2.54 * dpi / modules))
    return small.resize((small.width * module_px,) * 2, Image.Resampling.NEAREST), modules, module_px


def layout(record: dict, base_url: str, dpi: int = DPI, printed_on: date | None = None) -> Layout:
    """Where everything on one LKS's poster goes."""
    pen = _Pen(dpi)
    width, height = pen.width, pen.height
    margin = pen.px(150)
    inner = width - 2 * margin
    url = lks_url(base_url, record["code"])
    qr, modules, module_px = _qr(url, dpi)
    page = Layout((width, height), dpi, url, qr, (0, 0), modules, module_px)

    # The band at the top.
    header_bottom = pen.px(340)
    page.blocks.append(Block((0, 0, width, header_bottom), BLUE))
    page.texts.append(pen.line(HEADER, pen.fit(HEADER, 92, True, inner, 60), pen.px(70), True, WHITE))
    page.texts.append(pen.line(SUBHEADER, 56, pen.px(205), False, WHITE))

    # The bottom: when it was printed, and above it the hotline.
    footer_text = FOOTER.format(date=format_date(printed_on or today_wib()))
    footer = pen.line(footer_text, 46, 0, False, GREY)
    footer = replace(footer, y=height - pen.px(110) - footer.height)
    page.texts.append(footer)
    box_inner = inner - 2 * pen.px(60)
    hotline = [pen.line(HOTLINE_INTRO, pen.fit(HOTLINE_INTRO, 58, False, box_inner, 40), 0, False, WHITE),
               pen.line(HOTLINE, 210, 0, True, WHITE),
               pen.line(HOTLINE_NUMBERS, pen.fit(HOTLINE_NUMBERS, 86, True, box_inner, 60), 0, True, WHITE)]
    padding = pen.px(50)
    box_bottom = footer.y - pen.px(45)
    box_top = box_bottom - 2 * padding - sum(pen.advance(line) for line in hotline[:-1]) - hotline[-1].height
    page.blocks.append(Block((margin, box_top, width - margin, box_bottom), RED, pen.px(40)))
    y = box_top + padding
    for line in hotline:
        page.texts.append(replace(line, y=y))
        y += pen.advance(line)

    # The middle: the LKS, its QR and what to do with it, centred between the two; placed from y = 0 first.
    space_top, space_bottom = header_bottom + pen.px(50), box_top - pen.px(50)
    for name_size, name_lines in _name_options(pen, record["name"], inner):
        middle, qr_y, middle_height = _middle(pen, record, url, qr, name_size, name_lines, margin, inner)
        if middle_height <= space_bottom - space_top:
            break
    else:
        raise LayoutError(f"poster for {record['code']} does not fit: {middle_height} > {space_bottom - space_top}")
    offset = space_top + (space_bottom - space_top - middle_height) // 2
    page.qr_at = ((width - qr.width) // 2, offset + qr_y)
    page.texts.extend(replace(line, y=line.y + offset) for line in middle)
    return page


def _middle(pen: _Pen, record: dict, url: str, qr: Image.Image, name_size: int, name_lines: list[str],
            margin: int, inner: int) -> tuple[list[Text], int, int]:
    """The name, the code, the QR's place and the instructions from y = 0: (lines, the QR's y, the height)."""
    middle: list[Text] = []

    def add(line: Text) -> int:
        middle.append(line)
        return pen.advance(line)

    y = 0
    for line in name_lines:
        y += add(pen.line(line, name_size, y, True, INK))
    y += pen.px(8)
    y += add(pen.line(f"Kode LKS: {record['code']}", 72, y, True, GREY))
    qr_y = y  # the quiet zone is the space around it
    y += qr.height
    where = f"atau buka {url.split('://', 1)[-1]}"
    y += add(pen.line(where, pen.fit(where, 50, False, inner, 30), y, False, GREY)) + pen.px(40)
    size = 64
    label_width = max(pen.length(label, size, True) for label, _ in INSTRUCTIONS) + pen.px(20)
    left = margin + pen.px(40)
    for label, text in INSTRUCTIONS:
        middle.append(pen.line(label, size, y, True, INK, x=left))
        for line in pen.wrap(text, size, False, inner - pen.px(80) - label_width):
            y += add(pen.line(line, size, y, False, INK, x=left + label_width))
        y += pen.px(20)
    return middle, qr_y, y - pen.px(20)


def draw(page: Layout) -> Image.Image:
    image = Image.new("RGB", page.size, WHITE)
    pen = ImageDraw.Draw(image)
    for block in page.blocks:
        if block.radius:
            pen.rounded_rectangle(block.box, block.radius, fill=block.color)
        else:
            pen.rectangle(block.box, fill=block.color)
    image.paste(page.qr.convert("RGB"), page.qr_at)
    for text in page.texts:
        pen.text((text.x, text.y), text.text, font=font(text.size, text.bold), fill=text.color, anchor="la")
    return image


def poster_image(record: dict, base_url: str, dpi: int = DPI, printed_on: date | None = None) -> Image.Image:
    return draw(layout(record, base_url, dpi, printed_on))


def poster_png(record: dict, base_url: str, printed_on: date | None = None) -> bytes:
    buffer = io.BytesIO()
    poster_image(record, base_url, DPI, printed_on).save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def write_pdf(records: Iterable[dict], base_url: str, out: BinaryIO, dpi: int = DPI, title: str = "",
              printed_on: date | None = None) -> int:
    """One poster page per record into ``out``, drawn one at a time; the number of pages."""
    writer = PdfWriter(out, title)
    for record in records:
        try:
            image = poster_image(record, base_url, dpi, printed_on)
        except LayoutError:  # never expected (every name lays out); one page must not cost the batch
            image = poster_image({**record, "name": record["name"][:40] + " …"}, base_url, dpi, printed_on)
        writer.add_page(image, dpi)
    writer.close()
    return writer.pages


def poster_pdf(record: dict, base_url: str, printed_on: date | None = None) -> bytes:
    buffer = io.BytesIO()
    write_pdf([record], base_url, buffer, DPI, f"Poster LKS {record['code']}", printed_on)
    return buffer.getvalue()


def for_batch(records: Iterable[dict], kecamatan: str | None = None) -> tuple[str | None, list[dict]]:
    """The LKS a batch prints: active and registered (not waiting as a field report), of one kecamatan
    or all, by kecamatan and name. Returns the kecamatan's proper spelling; raises UnknownKecamatan."""
    name = None
    if kecamatan:
        name = next((k for k in KECAMATAN if k.lower() == kecamatan.strip().lower()), None)
        if name is None:
            raise UnknownKecamatan(kecamatan)
    chosen = [r for r in records if r.get("active") and not r.get("provisional")
              and (name is None or r.get("kecamatan") == name)]
    return name, sorted(chosen, key=lambda r: (r.get("kecamatan", ""), r["name"].lower(), r["code"]))


def _pdf_string(text: str) -> bytes:
    raw = text.encode("ascii", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


class PdfWriter:
    """A minimal PDF 1.4 file: each page one full-page RGB image (Flate, lossless), written as it comes.
    Objects 1 and 2 (catalogue and page tree) are written last, when the pages are known."""

    def __init__(self, out: BinaryIO, title: str = ""):
        self.out = out
        self.title = title
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.kids: list[int] = []
        self.next_id = 3
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self.kids)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self._write(b"\nstream\n" + stream + b"\nendstream")
        self._write(b"\nendobj\n")

    def add_page(self, image: Image.Image, dpi: int) -> None:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        data = zlib.compress(rgb.tobytes(), 6)
        points = (rgb.width * 72 / dpi, rgb.height * 72 / dpi)
        picture, contents, page = self.next_id, self.next_id + 1, self.next_id + 2
        self.next_id += 3
        self._object(picture, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                              b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>"
                     % (rgb.width, rgb.height, len(data)), data)
        drawing = b"q %.3f 0 0 %.3f 0 0 cm /P Do Q" % points
        self._object(contents, b"<< /Length %d >>" % len(drawing), drawing)
        self._object(page, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
                           b"/Resources << /XObject << /P %d 0 R >> >> /Contents %d 0 R >>"
                     % (*points, picture, contents))
        self.kids.append(page)

    def close(self) -> None:
        if not self.kids:
            raise ValueError("a PDF needs at least one page")
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % kid for kid in self.kids)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.kids)))
        info = self.next_id
        self._object(info, b"<< /Title %s /Producer (Inspector) >>" % _pdf_string(self.title))
        xref_at = self.position
        rows = [b"xref\n0 %d\n" % (info + 1), b"0000000000 65535 f \n"]
        rows += [b"%010d 00000 n \n" % self.offsets[number] for number in range(1, info + 1)]
        self._write(b"".join(rows))
        self._write(b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                    % (info + 1, info, xref_at))
