"""The base of the status and resolution enums of `polypay.enums`."""

from __future__ import annotations

from enum import Enum
from typing import Any, Optional, Tuple, Type, TypeVar

_E = TypeVar("_E", bound="OpenEnum")


class OpenEnum(str, Enum):
    """A ``str`` enum that is open: a value this SDK version does not know becomes a member
    named ``OTHER`` that keeps the value as sent, instead of a ``ValueError``. Members compare
    equal to their text (``status == "processed"``) and ``str()`` is the text."""

    @classmethod
    def _missing_(cls: Type[_E], value: object) -> Optional[_E]:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "OTHER"
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self._value_)

    def __format__(self, spec: str) -> str:
        return format(str(self._value_), spec)

    def __reduce_ex__(self, protocol: Any) -> Tuple[Any, Tuple[str]]:
        return type(self), (self._value_,)
