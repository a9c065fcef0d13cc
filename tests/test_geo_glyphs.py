"""Offline map glyphs (geo.glyphs) and the offline map style (geo.map_style).

The PBF files are read back with a decoder written here from the glyphs.proto field
numbers (a plain varint walk), independent of the encoder in geo.glyphs.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from geo import glyphs
from geo.map_style import LABEL_FONT, LABEL_FONT_BOLD, glyphs_url_for, label_text, offline_style

NAMES = "Phường Tân Định Bình Thạnh Khánh Quận Thủ Đức"
VIETNAMESE_EXTRA = "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
VIETNAMESE_LETTERS = VIETNAMESE_EXTRA + VIETNAMESE_EXTRA.upper() + "ăâđêôơưĂÂĐÊÔƠƯàáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝ"


# --- an independent protobuf reader ---------------------------------------------------------
def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs; value is an int (varint) or bytes (length-delimited)."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = data[pos : pos + length]
            assert len(value) == length, "truncated field"
            pos += length
        else:
            raise AssertionError(f"unexpected wire type {wire} for field {number}")
        out.append((number, value))
    assert pos == len(data)
    return out


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def decode(data: bytes) -> list[dict]:
    stacks = []
    for number, stack_bytes in _fields(data):
        assert number == 1 and isinstance(stack_bytes, bytes)
        stack = {"glyphs": {}}
        for field, value in _fields(stack_bytes):
            if field == 1:
                stack["name"] = value.decode("utf-8")
            elif field == 2:
                stack["range"] = value.decode("ascii")
            elif field == 3:
                glyph = {"bitmap": b""}
                for g_field, g_value in _fields(value):
                    key = {1: "id", 2: "bitmap", 3: "width", 4: "height", 5: "left", 6: "top", 7: "advance"}[g_field]
                    glyph[key] = _unzigzag(g_value) if key in ("left", "top") else g_value
                assert {"id", "width", "height", "left", "top", "advance"} <= glyph.keys()
                stack["glyphs"][glyph["id"]] = glyph
            else:
                raise AssertionError(f"unknown fontstack field {field}")
        stacks.append(stack)
    return stacks


def _read(folder: Path, stack: str, start: int) -> dict:
    data = (folder / stack / f"{start}-{start + 255}.pbf").read_bytes()
    decoded = decode(data)
    assert len(decoded) == 1
    return decoded[0]


@pytest.fixture(scope="module")
def glyph_dir(tmp_path_factory) -> Path:
    return glyphs.ensure_glyphs(tmp_path_factory.mktemp("app") / "static")


# --- the files --------------------------------------------------------------------------------
def test_folder_layout_and_every_bmp_range_is_a_valid_pbf(glyph_dir):
    assert glyph_dir.name == "glyphs"
    assert sorted(p.name for p in glyph_dir.iterdir() if p.is_dir()) == sorted([LABEL_FONT, LABEL_FONT_BOLD])
    for stack in (LABEL_FONT, LABEL_FONT_BOLD):
        files = sorted((glyph_dir / stack).glob("*.pbf"))
        assert len(files) == 256
        for start in range(0, 65536, 256):
            decoded = _read(glyph_dir, stack, start)
            assert decoded["name"] == stack
            assert decoded["range"] == f"{start}-{start + 255}"
            for codepoint in decoded["glyphs"]:
                assert start <= codepoint <= start + 255
            if start not in glyphs.GLYPH_RANGES:
                assert decoded["glyphs"] == {}


@pytest.mark.parametrize("stack", [LABEL_FONT, LABEL_FONT_BOLD])
def test_vietnamese_names_have_every_glyph(glyph_dir, stack):
    text = unicodedata.normalize("NFC", NAMES + " " + VIETNAMESE_LETTERS)
    by_range: dict[int, dict] = {}
    for char in set(text):
        start = ord(char) // 256 * 256
        if start not in by_range:
            by_range[start] = _read(glyph_dir, stack, start)["glyphs"]
        glyph = by_range[start].get(ord(char))
        assert glyph is not None, f"{char!r} U+{ord(char):04X} missing from {stack}"
        if char == " ":
            assert glyph["width"] == glyph["height"] == 0 and glyph["bitmap"] == b""
            assert glyph["advance"] > 0
            continue
        assert glyph["advance"] > 0, char
        assert glyph["width"] > 0 and glyph["height"] > 0, char
        assert len(glyph["bitmap"]) == (glyph["width"] + 6) * (glyph["height"] + 6), char
        # fontnik convention: top = bbox top - ascender (24 px size), so letters sit below 0
        assert -24 < glyph["top"] < 6, (char, glyph["top"])
        assert -4 <= glyph["left"] <= 6, (char, glyph["left"])


def test_sdf_values_follow_the_maplibre_convention(glyph_dir):
    # "l": a vertical stem. Inside the stem values exceed the edge value (~191), far outside they are 0.
    glyph = _read(glyph_dir, LABEL_FONT, 0)["glyphs"][ord("l")]
    w, h = glyph["width"] + 6, glyph["height"] + 6
    rows = [glyph["bitmap"][r * w : (r + 1) * w] for r in range(h)]
    middle = rows[h // 2]
    assert max(middle) > 200  # inside the stem
    assert middle[0] < 150 and middle[-1] < 150  # in the buffer, outside the ink
    assert rows[0][0] < 100 and rows[-1][-1] < 100  # corners: far from the outline
    # "W" is wider than "i"; the bold face is wider than the regular one.
    regular = _read(glyph_dir, LABEL_FONT, 0)["glyphs"]
    bold = _read(glyph_dir, LABEL_FONT_BOLD, 0)["glyphs"]
    assert regular[ord("W")]["advance"] > regular[ord("i")]["advance"]
    assert bold[ord("W")]["advance"] >= regular[ord("W")]["advance"]


def test_combining_marks_and_punctuation_ranges_have_glyphs(glyph_dir):
    marks = _read(glyph_dir, LABEL_FONT, 768)["glyphs"]
    for mark in "\u0300\u0301\u0303\u0309\u0323":  # the five Vietnamese tone marks
        assert ord(mark) in marks
    punctuation = _read(glyph_dir, LABEL_FONT, 8192)["glyphs"]
    for char in "–—“”…":
        assert punctuation[ord(char)]["advance"] > 0


def test_ensure_glyphs_is_idempotent(glyph_dir):
    static_dir = glyph_dir.parent
    stamps = {p: p.stat().st_mtime_ns for p in glyph_dir.rglob("*") if p.is_file()}
    assert glyphs.ensure_glyphs(static_dir) == glyph_dir
    assert {p: p.stat().st_mtime_ns for p in glyph_dir.rglob("*") if p.is_file()} == stamps
    assert [p.name for p in static_dir.iterdir()] == ["glyphs"]  # no temporary folder left
    info = glyphs.generation_info(static_dir)
    assert info["bytes"] > 100_000 and info["seconds"] >= 0


def test_incomplete_or_outdated_folder_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(glyphs, "GLYPH_RANGES", (0,))  # a small set keeps this test fast
    static_dir = tmp_path / "static"
    folder = glyphs.ensure_glyphs(static_dir)
    (folder / LABEL_FONT / "7680-7935.pbf").unlink()
    assert glyphs.ensure_glyphs(static_dir) == folder
    assert (folder / LABEL_FONT / "7680-7935.pbf").is_file()

    manifest = json.loads((folder / glyphs.MANIFEST_NAME).read_text())
    manifest["generator_version"] = -1
    (folder / glyphs.MANIFEST_NAME).write_text(json.dumps(manifest))
    glyphs.ensure_glyphs(static_dir)
    assert json.loads((folder / glyphs.MANIFEST_NAME).read_text())["generator_version"] == glyphs.GENERATOR_VERSION
    assert [p.name for p in static_dir.iterdir()] == ["glyphs"]


def test_encoder_edge_cases():
    assert glyphs._varint(0) == b"\x00"
    assert glyphs._varint(300) == b"\xac\x02"
    assert [glyphs._zigzag32(v) for v in (0, -1, 1, -2, -10)] == [0, 1, 2, 3, 19]
    data = glyphs.encode_range("X", 0, [glyphs.Glyph(32, 0, 0, 0, -23, 8)])
    (stack,) = decode(data)
    assert stack["name"] == "X" and stack["range"] == "0-255"
    assert stack["glyphs"][32] == {"id": 32, "bitmap": b"", "width": 0, "height": 0, "left": 0, "top": -23, "advance": 8}


# --- the style ---------------------------------------------------------------------------------
def test_offline_style_is_local_and_complete():
    style = offline_style()
    text = json.dumps(style)
    assert not re.search(r"https?:|//[a-z]", text, re.IGNORECASE)
    assert style["version"] == 8
    # One empty inline source (see offline_style): nothing that could be fetched.
    assert all(source["type"] == "geojson" and source["data"]["features"] == [] for source in style["sources"].values())
    assert style["glyphs"] == "/app/static/glyphs/{fontstack}/{range}.pbf"
    assert [layer["type"] for layer in style["layers"]] == ["background"]
    assert offline_style(background="#000000")["layers"][0]["paint"]["background-color"] == "#000000"
    with pytest.raises(ValueError):
        offline_style("/app/static/glyphs/x.pbf")
    assert glyphs_url_for("") == "/app/static/glyphs/{fontstack}/{range}.pbf"
    assert glyphs_url_for("/dash/") == "/dash/app/static/glyphs/{fontstack}/{range}.pbf"


def test_plotly_accepts_the_style_object_and_the_label_font():
    import plotly.graph_objects as go

    fig = go.Figure(go.Scattermap(lon=[106.7], lat=[10.78], mode="text", text=[label_text("Phường Tân Định")], textfont={"family": LABEL_FONT, "size": 16}))
    fig.update_layout(map={"style": offline_style(), "center": {"lon": 106.7, "lat": 10.78}, "zoom": 12})
    spec = json.loads(fig.to_json())
    assert spec["layout"]["map"]["style"]["glyphs"].startswith("/app/static/glyphs/")
    assert spec["data"][0]["textfont"]["family"] == LABEL_FONT


def test_label_text_is_nfc():
    decomposed = unicodedata.normalize("NFD", "Phường Tân Định")
    assert decomposed != "Phường Tân Định"
    assert label_text(decomposed) == unicodedata.normalize("NFC", "Phường Tân Định")
