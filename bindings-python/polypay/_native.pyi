"""Stubs of the native module (kept honest by `python -m mypy.stubtest polypay._native`).
Internal: use the public API in `polypay`, `polypay.ecommpay` and `polypay.paycore`."""

import asyncio
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple, Union, final

_Body = Union[bytes, bytearray, memoryview, str]
_Native = Dict[str, Any]

__all__ = [
    "CancelToken",
    "EcommpayCallback",
    "EcommpayGate",
    "EcommpayOperation",
    "NativeClient",
    "NativePager",
    "Operation",
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
def ecommpay_verify_callback(body: _Body, secret: str) -> "EcommpayCallback": ...
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
class EcommpayOperation:
    """`operation` of an ecommpay callback."""

    @property
    def id(self) -> Optional[str]: ...
    @property
    def type(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def request_id(self) -> Optional[str]: ...
    @property
    def code(self) -> Optional[str]: ...
    @property
    def message(self) -> Optional[str]: ...
    @property
    def sum_initial(self) -> Optional[Tuple[int, str]]: ...
    @property
    def sum_converted(self) -> Optional[Tuple[int, str]]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class EcommpayCallback:
    """A verified ecommpay callback; ``raw`` is the body without its ``signature`` keys."""

    @property
    def project_id(self) -> Optional[int]: ...
    @property
    def payment_id(self) -> Optional[str]: ...
    @property
    def payment_type(self) -> Optional[str]: ...
    @property
    def payment_status(self) -> Optional[str]: ...
    @property
    def payment_sum(self) -> Optional[Tuple[int, str]]: ...
    @property
    def operation(self) -> Optional[EcommpayOperation]: ...
    @property
    def is_success(self) -> bool: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

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
    def verify_callback(self, body: _Body) -> EcommpayCallback: ...

@final
class CancelToken:
    """Fires the cancellation of the async calls (or pager) it was passed to."""

    def __new__(cls) -> "CancelToken": ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

@final
class NativePager:
    def next(self) -> Optional[_Native]: ...
    def next_async(self) -> "asyncio.Future[Optional[_Native]]": ...

@final
class Operation:
    """The Commerce API operations: the core's operation table."""

    PaymentPrerequest: ClassVar[Operation]
    PayoutPrerequest: ClassVar[Operation]
    CreatePaymentInvoicePublic: ClassVar[Operation]
    GetPaymentInvoicePublic: ClassVar[Operation]
    GetPayoutInvoicePublic: ClassVar[Operation]
    CreatePaymentInvoice: ClassVar[Operation]
    GetPaymentInvoice: ClassVar[Operation]
    FindPaymentInvoice: ClassVar[Operation]
    ListPaymentInvoices: ClassVar[Operation]
    RefundPaymentInvoice: ClassVar[Operation]
    CreatePayoutInvoice: ClassVar[Operation]
    GetPayoutInvoice: ClassVar[Operation]
    FindPayoutInvoice: ClassVar[Operation]
    ListPayoutInvoices: ClassVar[Operation]
    ListPaymentServices: ClassVar[Operation]
    GetPaymentService: ClassVar[Operation]
    Balances: ClassVar[Operation]
    @property
    def method(self) -> str: ...
    def __int__(self) -> int: ...

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
        timeout: Optional[float] = None,  # 60 s (the whole call, retries included)
        request_timeout: Optional[float] = None,  # 30 s
        connect_timeout: Optional[float] = None,  # 10 s
        max_retries: Optional[int] = None,  # 2 (0-10)
        page_size: Optional[int] = None,  # 1-1000; the gateway's default
        proxy: Optional[str] = None,
        user_agent: Optional[str] = None,
        allow_insecure_http: Optional[bool] = None,
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
        self,
        op: Operation,
        *,
        id: Optional[str] = None,
        reference_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
    ) -> Optional[_Native]: ...
    def call_async(
        self,
        op: Operation,
        *,
        id: Optional[str] = None,
        reference_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> "asyncio.Future[Optional[_Native]]": ...
    def list(
        self,
        op: Operation,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> NativePager: ...
    def verify_callback(self, body: _Body, signature: str) -> _Native: ...
