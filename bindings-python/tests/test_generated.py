"""Code generated from the core's tables, kept equal to what the native module says:

- the records' part of `_native.pyi` and the members of its `Operation` (mypy.stubtest then
  checks the whole file against the module);
- `polypay/enums.py`, the open enums;
- the network methods of `PayCoreClient` and `AsyncPayCoreClient` in `polypay/client.py`, one
  per row of the operation table, and those of `EcommpayGateApi` and `AsyncEcommpayGateApi` in
  `polypay/gate.py`, one per row of the Gate table.

`python tests/test_generated.py --update` rewrites them."""

import sys
from pathlib import Path
from typing import List

from polypay import _native

PACKAGE = Path(__file__).resolve().parent.parent / "polypay"
STUBS = PACKAGE / "_native.pyi"
ENUMS = PACKAGE / "enums.py"
CLIENT = PACKAGE / "client.py"
GATE = PACKAGE / "gate.py"
BEGIN = "# ---- generated ----\n"
END = "# ---- end of generated ----\n"
OPS_BEGIN = "    # ---- operations: generated from the core's operation table ----\n"
OPS_END = "    # ---- end of operations ----\n"
CLIENT_BEGIN = "    # ---- generated from the core's operation table (tests/test_generated.py) ----\n"
CLIENT_END = "    # ---- end of generated ----\n"


def replace_sections(text: str, begin: str, end: str, bodies: List[str]) -> str:
    """`text` with its generated sections, in order, replaced by `bodies`."""
    out, rest = [], text
    for body in bodies:
        head, rest = rest.split(begin, 1)
        _, rest = rest.split(end, 1)
        out.append(head + begin + body + end)
    return "".join(out) + rest


FIELDS_NOTE = "The fields go as a ``request`` mapping and/or keyword arguments."
LAZY_NOTE = "Pages are fetched as you iterate."
TIMEOUT = "timeout: Optional[float] = None"


def method(op: "_native.Operation", asynchronous: bool) -> str:
    """One client method for an operation row."""
    variant, name, _access, _semantics, input, output, doc = op.row
    call = f"_Op.{variant}"
    result = output
    notes = []
    if input == "Nothing":
        params, args = ["*", TIMEOUT], ""
    elif input == "Id":
        params, args = ["id: str", "*", TIMEOUT], "id=id, "
    elif input == "ReferenceId":
        params, args = ["reference_id: str", "*", TIMEOUT], "reference_id=reference_id, "
        result = f"Optional[{output}]"
    elif input in ("Fields", "IdFields"):
        params = ["request: Optional[Mapping[str, Any]] = None", "*", TIMEOUT, "**fields: Any"]
        args = "fields=_fields(request, fields), "
        if input == "IdFields":
            params.insert(0, "id: str")
            args = "id=id, " + args
        notes.append(FIELDS_NOTE)
    elif input == "Filter":
        params = ["*", "reference_id: Optional[str] = None", "page_size: Optional[int] = None"]
        params.append(TIMEOUT)
        args = "reference_id=reference_id, page_size=page_size, "
        result = f"{'AsyncIterator' if asynchronous else 'Iterator'}[{output}]"
        notes.append(LAZY_NOTE)
    else:
        raise AssertionError(f"no method for input {input}")

    lines = doc.split("\n") + ([""] + notes if notes else [])
    docstring = "\n        ".join(lines).replace("\n        \n", "\n\n")
    listing = input == "Filter"
    run = "self._list" if listing else ("await self._call" if asynchronous else "self._call")
    prefix = "async def" if asynchronous and not listing else "def"
    signature = ",\n        ".join(["self", *params])
    return (
        f"    {prefix} {name}(\n        {signature},\n    ) -> {result}:\n"
        f'        """{docstring}"""\n'
        f"        return {run}({call}, {args}timeout=timeout)\n"
    )


def client_sections() -> List[str]:
    return [
        "\n".join(method(op, asynchronous) for op in _native.Operation.all())
        for asynchronous in (False, True)
    ]


GATE_NOTE = [
    "The body goes as a ``request`` mapping and/or keyword arguments (its top-level keys);",
    "``method`` is the endpoint's payment method (``card`` by default).",
]


def gate_method(op: "_native.GateOperation", asynchronous: bool) -> str:
    """One Gate client method for a row of the Gate table."""
    variant, name, _semantics, path, output, doc = op.row
    params = [
        "request: Optional[Mapping[str, Any]] = None",
        "*",
        "method: Optional[str] = None",
        TIMEOUT,
        "**fields: Any",
    ]
    lines = doc.split("\n") + ["", f"``POST {path}``.", *GATE_NOTE]
    docstring = "\n        ".join(lines).replace("\n        \n", "\n\n")
    prefix = "async def" if asynchronous else "def"
    run = "await self._call" if asynchronous else "self._call"
    signature = ",\n        ".join(["self", *params])
    return (
        f"    {prefix} {name}(\n        {signature},\n    ) -> {output}:\n"
        f'        """{docstring}"""\n'
        f"        return {run}(_Op.{variant}, _fields(request, fields), method=method, timeout=timeout)\n"
    )


def gate_sections() -> List[str]:
    return [
        "\n".join(gate_method(op, asynchronous) for op in _native.GateOperation.all())
        for asynchronous in (False, True)
    ]


def expected_gate(text: str) -> str:
    begin = "    # ---- generated from the core's Gate table (tests/test_generated.py) ----\n"
    return replace_sections(text, begin, CLIENT_END, gate_sections())


GATE_OPS_BEGIN = "    # ---- gate operations: generated from the core's Gate table ----\n"
GATE_OPS_END = "    # ---- end of gate operations ----\n"


def expected_stubs(text: str) -> str:
    members = "".join(f"    {op.row[0]}: ClassVar[Operation]\n" for op in _native.Operation.all())
    text = replace_sections(text, OPS_BEGIN, OPS_END, [members])
    gate = "".join(
        f"    {op.row[0]}: ClassVar[GateOperation]\n" for op in _native.GateOperation.all()
    )
    text = replace_sections(text, GATE_OPS_BEGIN, GATE_OPS_END, [gate])
    return replace_sections(text, BEGIN, END, [_native.record_stubs()])


def expected_client(text: str) -> str:
    return replace_sections(text, CLIENT_BEGIN, CLIENT_END, client_sections())


UPDATE = "run `python tests/test_generated.py --update`"


def test_record_stubs_are_generated() -> None:
    text = STUBS.read_text(encoding="utf-8")
    assert text == expected_stubs(text), UPDATE


def test_enums_are_generated() -> None:
    assert ENUMS.read_text(encoding="utf-8") == _native.open_enums_source(), UPDATE


def test_client_methods_are_generated() -> None:
    text = CLIENT.read_text(encoding="utf-8")
    assert text == expected_client(text), UPDATE


def test_gate_methods_are_generated() -> None:
    text = GATE.read_text(encoding="utf-8")
    assert text == expected_gate(text), UPDATE


def test_every_operation_has_a_method_on_both_clients() -> None:
    from polypay import AsyncPayCoreClient, PayCoreClient

    for op in _native.Operation.all():
        assert callable(getattr(PayCoreClient, op.method))
        assert callable(getattr(AsyncPayCoreClient, op.method))


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    STUBS.write_text(expected_stubs(STUBS.read_text(encoding="utf-8")), encoding="utf-8")
    ENUMS.write_text(_native.open_enums_source(), encoding="utf-8")
    CLIENT.write_text(expected_client(CLIENT.read_text(encoding="utf-8")), encoding="utf-8")
    GATE.write_text(expected_gate(GATE.read_text(encoding="utf-8")), encoding="utf-8")
