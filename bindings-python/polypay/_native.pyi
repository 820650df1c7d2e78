"""Stubs of the native module (kept honest by `python -m mypy.stubtest polypay._native`).
Internal: use the public API in `polypay`, `polypay.ecommpay` and `polypay.paycore`."""

from typing import Any, Awaitable, Dict, Mapping, Optional, Union, final

_Body = Union[bytes, bytearray, memoryview, str]
_Native = Dict[str, Any]

__all__ = [
    "EcommpayGate",
    "NativeClient",
    "NativePager",
    "__version__",
    "ecommpay_natcmp",
    "ecommpay_payment_page_url",
    "ecommpay_php_float",
    "ecommpay_sign",
    "ecommpay_string_to_sign",
    "ecommpay_verify_callback",
    "paycore_hpp_form",
    "paycore_hpp_url",
    "paycore_sign_callback",
    "paycore_verify_callback",
    "paycore_verify_signature",
    "set_log_level",
]

__version__: str

def ecommpay_sign(params: Mapping[str, Any], secret: str) -> str: ...
def ecommpay_string_to_sign(params: Mapping[str, Any]) -> str: ...
def ecommpay_payment_page_url(
    params: Mapping[str, Any], secret: str, base_url: Optional[str] = None
) -> str: ...
def ecommpay_verify_callback(body: _Body, secret: str) -> _Native: ...
def ecommpay_natcmp(a: Union[str, bytes], b: Union[str, bytes]) -> int: ...
def ecommpay_php_float(value: float) -> str: ...
def paycore_sign_callback(body: _Body, secret: str) -> str: ...
def paycore_verify_signature(body: _Body, signature: str, secret: str) -> None: ...
def paycore_verify_callback(body: _Body, signature: str, secret: str) -> _Native: ...
def paycore_hpp_url(
    params: Mapping[str, Any], env: Optional[str] = None, base_url: Optional[str] = None
) -> str: ...
def paycore_hpp_form(
    params: Mapping[str, Any],
    env: Optional[str] = None,
    base_url: Optional[str] = None,
    button_label: str = "Pay",
) -> _Native: ...
def set_log_level(level: int) -> None: ...

@final
class EcommpayGate:
    def __new__(
        cls, project_id: int, secret_key: str, base_url: Optional[str] = None
    ) -> "EcommpayGate": ...
    @property
    def project_id(self) -> int: ...
    @property
    def base_url(self) -> str: ...
    def payment_page_url(self, fields: Mapping[str, Any]) -> str: ...
    def params_url(self, params: Mapping[str, Any]) -> str: ...
    def sign(self, params: Mapping[str, Any]) -> str: ...
    def verify_callback(self, body: _Body) -> _Native: ...

@final
class NativePager:
    def next(self) -> Optional[_Native]: ...
    def next_async(self) -> Awaitable[Optional[_Native]]: ...

@final
class NativeClient:
    def __new__(
        cls,
        *,
        public_key: Optional[str] = None,
        account_id: Optional[str] = None,
        api_key: Optional[str] = None,
        secret_key: Optional[str] = None,
        env: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = 60.0,
        request_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 2,
        user_agent: Optional[str] = None,
    ) -> "NativeClient": ...
    @property
    def base_url(self) -> str: ...
    @property
    def public_key(self) -> Optional[str]: ...
    @property
    def account_id(self) -> Optional[str]: ...
    @property
    def mode(self) -> Optional[str]: ...
    def call(
        self, op: str, arg: Any, extra: Any = None, timeout: Optional[float] = None
    ) -> Optional[_Native]: ...
    def call_async(
        self, op: str, arg: Any, extra: Any = None, timeout: Optional[float] = None
    ) -> Awaitable[Optional[_Native]]: ...
    def list(
        self,
        kind: str,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> NativePager: ...
    def verify_callback(self, body: _Body, signature: str) -> _Native: ...
