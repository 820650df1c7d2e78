"""The records' part of `_native.pyi` is the text the native module generates from the core's
record table, so the stubs cannot drift from the classes (mypy.stubtest then checks the whole
file against the module); `polypay/enums.py` is generated from the core's open enums the same
way. `python tests/test_stubs.py --update` rewrites both."""

import sys
from pathlib import Path

from polypay import _native

STUBS = Path(__file__).resolve().parent.parent / "polypay" / "_native.pyi"
ENUMS = STUBS.parent / "enums.py"
BEGIN = "# ---- generated ----\n"
END = "# ---- end of generated ----\n"


def expected(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + BEGIN + _native.record_stubs() + END + tail


def test_record_stubs_are_generated() -> None:
    text = STUBS.read_text(encoding="utf-8")
    assert text == expected(text), "run `python tests/test_stubs.py --update`"


def test_enums_are_generated() -> None:
    assert ENUMS.read_text(encoding="utf-8") == _native.open_enums_source(), (
        "run `python tests/test_stubs.py --update`"
    )


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    STUBS.write_text(expected(STUBS.read_text(encoding="utf-8")), encoding="utf-8")
    ENUMS.write_text(_native.open_enums_source(), encoding="utf-8")
