"""Offline map text: MapLibre glyph files (SDF "PBF" ranges) made from DejaVu Sans.

Map text in plotly's `Scattermap` is drawn by MapLibre, which downloads glyphs for every
character from the style's `glyphs` URL (`{fontstack}/{range}.pbf`). The built-in plotly
styles point that URL at the internet, so on a closed network map labels never appear.
`ensure_glyphs(static_dir)` writes the glyph files once under
`<static_dir>/glyphs/<fontstack>/<start>-<end>.pbf`, which Streamlit serves at
`/app/static/glyphs/...` (`server.enableStaticServing`; `static/` beside the main script).
`geo.map_style.offline_style()` is the matching map style.

Font: matplotlib's bundled DejaVu Sans (always installed with matplotlib), which covers
every Vietnamese letter, precomposed (NFC). Fontstack names follow fontnik's
"<family> <style>": "DejaVu Sans Book" and "DejaVu Sans Bold". Plotly passes the trace's
`textfont.family` unchanged as MapLibre's `text-font` (split on ", "), so that string is
the `{fontstack}` MapLibre requests.

File format: Mapbox `glyphs.proto` (protobuf 2):
    message glyphs    { repeated fontstack stacks = 1; }
    message fontstack { required string name = 1; required string range = 2;
                        repeated glyph glyphs = 3; }
    message glyph     { required uint32 id = 1; optional bytes bitmap = 2;
                        required uint32 width = 3; required uint32 height = 4;
                        required sint32 left = 5; required sint32 top = 6;
                        required uint32 advance = 7; }
Glyph conventions as in node-fontnik / sdf-glyph-foundry: font size 24 px; width,
height, left from the outline's bounding box rounded to whole pixels; top = bbox top -
font ascender (so usually negative); bitmap = (width + 6) x (height + 6) bytes (3 px
buffer on each side), rows top to bottom, value = 255 - clamp(d * 256 / 8 + 64) with d the
signed distance in px to the outline (positive outside, radius 8, cutoff 0.25): the edge
is ~191, which MapLibre's shader treats as the glyph border (0.75). Glyphs without ink
(space) have width = height = 0 and no bitmap.

Rendering: each glyph is drawn by Pillow (FreeType) at 8x size and thresholded; the
signed distance at each 24 px cell centre is the nearest outline point (scipy k-d tree).
Ranges with Vietnamese letters get real glyphs (`GLYPH_RANGES`); every other range of the
Basic Multilingual Plane gets a valid PBF with no glyph, because MapLibre fails a whole
label batch when one range cannot be loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Public constants ---------------------------------------------------------------------------
FONT_SIZE = 24  # px, fixed by MapLibre (ONE_EM = 24)
BUFFER = 3  # px of SDF padding around each glyph bitmap (MapLibre's GLYPH_PBF_BORDER)
RADIUS = 8  # px of distance encoded
CUTOFF = 0.25  # part of the 0..255 scale used for the inside
# 256-codepoint ranges rendered for real: Latin-1, Latin Extended-A/B (ơ ư Ơ Ư), combining
# marks, Latin Extended Additional (ạ ả ấ ... ỹ) and General Punctuation (– — “ ” …).
GLYPH_RANGES = (0, 256, 512, 768, 7680, 8192)
BMP_END = 65536  # MapLibre never requests glyphs above U+FFFF

FONTS = {  # fontstack name -> file name in matplotlib/mpl-data/fonts/ttf
    "DejaVu Sans Book": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
}
GLYPHS_DIR_NAME = "glyphs"
MANIFEST_NAME = "manifest.json"
# Bump when the output changes (format, metrics, ranges) so old folders are regenerated.
GENERATOR_VERSION = 1

_SUPERSAMPLE = 8


# Protobuf encoding ---------------------------------------------------------------------------
def _varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag32(value: int) -> int:
    return ((value << 1) ^ (value >> 31)) & 0xFFFFFFFF


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3 | 0) + _varint(value)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


@dataclass(frozen=True)
class Glyph:
    id: int
    width: int
    height: int
    left: int
    top: int
    advance: int
    bitmap: bytes = b""

    def encode(self) -> bytes:
        parts = [_field_varint(1, self.id)]
        if self.width > 0 and self.height > 0:
            parts.append(_field_bytes(2, self.bitmap))
        parts += [
            _field_varint(3, self.width),
            _field_varint(4, self.height),
            _field_varint(5, _zigzag32(self.left)),
            _field_varint(6, _zigzag32(self.top)),
            _field_varint(7, self.advance),
        ]
        return b"".join(parts)


def encode_range(fontstack: str, start: int, glyphs: list[Glyph]) -> bytes:
    """One glyphs.proto message: a single fontstack holding the glyphs of one range."""
    body = _field_bytes(1, fontstack.encode("utf-8")) + _field_bytes(2, f"{start}-{start + 255}".encode("ascii"))
    body += b"".join(_field_bytes(3, glyph.encode()) for glyph in glyphs)
    return _field_bytes(1, body)


# Rendering -----------------------------------------------------------------------------------
def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_path(fontstack: str) -> Path:
    return font_dir() / FONTS[fontstack]


def _charmap(path: Path) -> set[int]:
    from matplotlib import ft2font

    return set(ft2font.FT2Font(str(path)).get_charmap())


def _signed_distance(inside: np.ndarray, scale: int, rows: int, cols: int) -> np.ndarray:
    """Signed distance in px (>0 outside) from each cell centre of a rows x cols grid to the outline.

    inside: the glyph drawn scale times finer (rows*scale x cols*scale booleans). The outline
    is sampled at the midpoints between differing fine neighbours (error <= 1/(2*scale) px)
    and the distance at each cell centre is the nearest such point (a k-d tree query, which
    at scale 8 is both faster and closer to the true outline than a fine-grid
    distance_transform_edt averaged per cell).
    """
    from scipy.spatial import cKDTree

    r, c = np.nonzero(inside[:, 1:] != inside[:, :-1])
    across = np.column_stack([c + 1.0, r + 0.5])
    r, c = np.nonzero(inside[1:, :] != inside[:-1, :])
    down = np.column_stack([c + 0.5, r + 1.0])
    outline = np.vstack([across, down])
    limit = (RADIUS + 1) * scale
    col, row = np.meshgrid(np.arange(cols), np.arange(rows))
    centres = np.column_stack([((col + 0.5) * scale).ravel(), ((row + 0.5) * scale).ravel()])
    distance, _ = cKDTree(outline).query(centres, distance_upper_bound=limit)
    distance = np.minimum(distance, limit).reshape(rows, cols)
    half = scale // 2  # inside test: majority of the 2x2 fine pixels around the centre
    blocks = inside.reshape(rows, scale, cols, scale)[:, half - 1 : half + 1, :, half - 1 : half + 1]
    centre_inside = blocks.mean(axis=(1, 3)) >= 0.5
    return np.where(centre_inside, -distance, distance) / scale


class _Renderer:
    def __init__(self, path: Path):
        from PIL import ImageFont

        basic = ImageFont.Layout.BASIC
        self.scale = _SUPERSAMPLE
        self.font = ImageFont.truetype(str(path), FONT_SIZE * self.scale, layout_engine=basic)
        # FreeType's size metrics round the ascender up to whole pixels, as fontnik sees it.
        self.ascender = ImageFont.truetype(str(path), FONT_SIZE, layout_engine=basic).getmetrics()[0]

    def glyph(self, codepoint: int) -> Glyph:
        from PIL import Image, ImageDraw

        s = self.scale
        char = chr(codepoint)
        advance = max(0, round(self.font.getlength(char) / s))
        x0, y0, x1, y1 = self.font.getbbox(char, anchor="ls")  # fine pixels, y down, origin on baseline
        if x1 <= x0 or y1 <= y0:
            return Glyph(codepoint, 0, 0, 0, -self.ascender, advance)
        left, right = round(x0 / s), round(x1 / s)
        top, bottom = round(-y0 / s), round(-y1 / s)
        right = max(right, left + 1)
        top = max(top, bottom + 1)
        width, height = right - left, top - bottom
        out_w, out_h = width + 2 * BUFFER, height + 2 * BUFFER
        image = Image.new("L", (out_w * s, out_h * s), 0)
        origin = ((BUFFER - left) * s, (BUFFER + top) * s)  # where the pen's baseline origin goes
        ImageDraw.Draw(image).text(origin, char, fill=255, font=self.font, anchor="ls")
        inside = np.asarray(image) >= 128
        if not inside.any():
            return Glyph(codepoint, 0, 0, 0, -self.ascender, advance)
        distance = _signed_distance(inside, s, out_h, out_w)
        value = 255.0 - np.clip(distance * (256.0 / RADIUS) + CUTOFF * 256.0, 0.0, 255.0)
        bitmap = np.clip(np.rint(value), 0, 255).astype(np.uint8).tobytes()
        return Glyph(codepoint, width, height, left, top - self.ascender, advance, bitmap)


def render_range(fontstack: str, start: int, _cache: dict | None = None) -> bytes:
    """The PBF bytes of range start..start+255 of a fontstack (no glyph outside GLYPH_RANGES)."""
    glyphs: list[Glyph] = []
    if start in GLYPH_RANGES:
        cache = {} if _cache is None else _cache
        if fontstack not in cache:
            path = font_path(fontstack)
            cache[fontstack] = (_Renderer(path), _charmap(path))
        renderer, available = cache[fontstack]
        glyphs = [renderer.glyph(c) for c in range(max(start, 32), start + 256) if c in available]
    return encode_range(fontstack, start, glyphs)


# Files ---------------------------------------------------------------------------------------
def _manifest() -> dict:
    return {
        "generator_version": GENERATOR_VERSION,
        "font_size": FONT_SIZE,
        "buffer": BUFFER,
        "radius": RADIUS,
        "cutoff": CUTOFF,
        "glyph_ranges": list(GLYPH_RANGES),
        "fonts": {name: {"file": file, "bytes": font_path(name).stat().st_size} for name, file in FONTS.items()},
    }


def _is_complete(folder: Path, manifest: dict) -> bool:
    try:
        stored = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if {k: v for k, v in stored.items() if k != "generated"} != manifest:
        return False
    return all((folder / name / f"{start}-{start + 255}.pbf").is_file() for name in FONTS for start in range(0, BMP_END, 256))


def _write_all(folder: Path, manifest: dict) -> dict:
    started, cpu_started = time.perf_counter(), time.process_time()
    total = 0
    for name in FONTS:
        stack_dir = folder / name
        stack_dir.mkdir(parents=True)
        cache: dict = {}
        for start in range(0, BMP_END, 256):
            data = render_range(name, start, cache)
            (stack_dir / f"{start}-{start + 255}.pbf").write_bytes(data)
            total += len(data)
    info = {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu_started, 2),
        "bytes": total,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps({**manifest, "generated": info}, indent=1), encoding="utf-8")
    return info


def _remove_stale_work_dirs(static_dir: Path, older_than_s: float = 3600) -> None:
    """Temporary folders left by a generation that was killed (a live one takes seconds)."""
    now = time.time()
    for leftover in static_dir.glob(".glyphs-tmp-*"):
        try:
            if now - leftover.stat().st_mtime > older_than_s:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass


def ensure_glyphs(static_dir: Path) -> Path:
    """Write the glyph PBFs under static_dir/glyphs once; return that folder.

    Skips the work when the folder is already complete for this generator and these fonts
    (manifest.json plus every file). Otherwise builds into a temporary folder beside it and
    renames it into place, so a server never serves a half-written set and concurrent
    callers cannot corrupt each other (the loser of a race discards its copy).
    """
    static_dir = Path(static_dir)
    target = static_dir / GLYPHS_DIR_NAME
    manifest = _manifest()
    if _is_complete(target, manifest):
        return target
    static_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_work_dirs(static_dir)
    work = Path(tempfile.mkdtemp(prefix=".glyphs-tmp-", dir=static_dir))
    try:
        built = work / GLYPHS_DIR_NAME
        _write_all(built, manifest)
        if _is_complete(target, manifest):  # someone else finished meanwhile
            return target
        if target.exists():  # outdated or incomplete: move it out, it is deleted with work
            os.replace(target, work / "old")
        try:
            os.replace(built, target)
        except OSError:
            if not _is_complete(target, manifest):
                raise
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def generation_info(static_dir: Path) -> dict | None:
    """Time and size recorded by the last generation (None when there is no manifest)."""
    try:
        stored = json.loads((Path(static_dir) / GLYPHS_DIR_NAME / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stored.get("generated")


if __name__ == "__main__":  # python -m geo.glyphs [static_dir]
    import sys

    where = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "static"
    folder = ensure_glyphs(where)
    print(folder, generation_info(where))
