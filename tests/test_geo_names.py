import pytest

from geo.names import normalise_name, strip_diacritics


@pytest.mark.parametrize(
    "raw, key",
    [
        ("Phường 01", "1"),
        ("Phường 1", "1"),
        ("P.1", "1"),
        ("P. 01", "1"),
        ("phuong 1", "1"),
        ("Xã Phú Hòa Đông", "phu hoa dong"),
        ("XÃ PHÚ HOÀ ĐÔNG", "phu hoa dong"),  # old-style tone placement, upper case
        ("Thị trấn Củ Chi", "cu chi"),
        ("Quận Gò Vấp", "go vap"),
        ("Q. Gò Vấp", "go vap"),
        ("Q.1", "1"),
        ("Quận 1", "1"),
        ("Huyện Cần Giờ", "can gio"),
        ("Thành phố Thủ Đức", "thu duc"),
        ("TP. Thủ Đức", "thu duc"),
        ("Phường Đa Kao", "da kao"),
        ("  Phường   Tân   Định ", "tan dinh"),
        ("Đặc khu Côn Đảo", "con dao"),
        ("Phường", "phuong"),  # a bare type is not stripped to nothing
        ("Phường Phước Long A", "phuoc long a"),
        ("Xã Xuân Thới Sơn", "xuan thoi son"),
        (None, ""),
    ],
)
def test_normalise_name(raw, key):
    assert normalise_name(raw) == key


def test_decomposed_unicode_matches_composed():
    import unicodedata

    assert normalise_name(unicodedata.normalize("NFD", "Phường Bến Nghé")) == "ben nghe"


def test_strip_diacritics_handles_d_stroke():
    assert strip_diacritics("Đà Nẵng đường") == "Da Nang duong"


def test_name_starting_like_a_prefix_is_kept():
    # "Xuân" starts with "x", "Phú" with "p", "Hòa" with "h": only whole prefixes go.
    assert normalise_name("Xuân Thới Sơn") == "xuan thoi son"
    assert normalise_name("Phú Mỹ") == "phu my"
    assert normalise_name("Hiệp Phước") == "hiep phuoc"


def test_keep_diacritics_tells_similar_names_apart():
    assert normalise_name("Xã Thanh An") == normalise_name("Xã Thạnh An") == "thanh an"
    assert normalise_name("Xã Thanh An", keep_diacritics=True) != normalise_name("X. Thạnh An", keep_diacritics=True)
    assert normalise_name("Phường 01", keep_diacritics=True) == "1"
    assert normalise_name("Xã Thạnh An", keep_diacritics=True) == "thạnh an"
