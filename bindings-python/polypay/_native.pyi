"""Stubs of the native module (kept honest by `python -m mypy.stubtest polypay._native`).
Internal: use the public API in `polypay`, `polypay.ecommpay` and `polypay.paycore`."""

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Dict, List, Literal, Mapping, Optional, Tuple, Union, final

from polypay.enums import PaymentInvoiceStatus, PayoutInvoiceStatus, Resolution

_Body = Union[bytes, bytearray, memoryview, str]
_Record = Union[
    "Prerequest", "PaymentInvoice", "PayoutInvoice", "Refund", "PaymentService", "PayoutService",
    "Balances",
]
_Item = Union["PaymentInvoice", "PayoutInvoice", "PaymentService", "PayoutService", "Refund"]

__all__ = [
    "Balances",
    "CallbackEvent",
    "CancelToken",
    "CurrencyAccount",
    "EcommpayCallback",
    "EcommpayGate",
    "EcommpayOperation",
    "FlowData",
    "GateAccepted",
    "GateOperation",
    "GatePayment",
    "HppForm",
    "LedgerEvent",
    "NativeClient",
    "NativeGateApi",
    "NativePager",
    "Operation",
    "PaymentInvoice",
    "PaymentService",
    "PayoutInvoice",
    "PayoutService",
    "Prerequest",
    "PrerequestService",
    "Refund",
    "ResponseInfo",
    "__version__",
    "ecommpay_best_before",
    "ecommpay_natcmp",
    "ecommpay_payment_page_url",
    "ecommpay_php_float",
    "ecommpay_sign",
    "ecommpay_string_to_sign",
    "ecommpay_verify_callback",
    "open_enums_source",
    "paycore_hpp_form",
    "paycore_hpp_url",
    "paycore_sign_callback",
    "paycore_verify_callback",
    "paycore_verify_signature",
    "record_stubs",
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
def ecommpay_best_before(at: datetime) -> str:
    """``best_before`` as the Payment Page expects it (PHP's ``DateTime::format('c')``) from a
    timezone-aware ``datetime``."""

def ecommpay_php_float(value: float) -> str: ...
def paycore_sign_callback(body: _Body, secret: str) -> str: ...
def paycore_verify_signature(body: _Body, signature: str, secret: str) -> None: ...
def paycore_verify_callback(body: _Body, signature: str, secret: str) -> CallbackEvent: ...
def paycore_hpp_url(
    params: Mapping[str, Any], env: Optional[str] = None, base_url: Optional[str] = None
) -> str: ...
def paycore_hpp_form(
    params: Mapping[str, Any],
    env: Optional[str] = None,
    base_url: Optional[str] = None,
    button_label: str = "Pay",
) -> HppForm: ...
def set_log_level(level: int) -> None: ...
def record_stubs() -> str: ...
def open_enums_source() -> str: ...

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
    def payment_method(self) -> Optional[str]: ...
    @property
    def customer_id(self) -> Optional[str]: ...
    @property
    def card_token(self) -> Optional[str]:
        """The saved card's token (``account.token``, or ``token`` in a tokenize callback)."""
    @property
    def card_mask(self) -> Optional[str]:
        """The masked card number (``account.number``)."""
    @property
    def recurring_id(self) -> Optional[str]:
        """The recurring (COF) id to charge the card again (``recurring.id``)."""
    @property
    def operation(self) -> Optional[EcommpayOperation]: ...
    @property
    def is_success(self) -> bool: ...
    @property
    def ledger_event(self) -> Optional[LedgerEvent]:
        """The payment's new state for the exactly-once ledger."""
    @property
    def raw(self) -> Dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class EcommpayGate:
    """A project's connection to the Payment Page. Thread-safe; create it once."""

    def __new__(
        cls, project_id: int, secret_key: str, base_url: Optional[str] = None
    ) -> "EcommpayGate": ...
    @property
    def project_id(self) -> int: ...
    @property
    def base_url(self) -> str: ...
    def payment_page_url(
        self,
        *,
        payment_id: str,
        payment_amount: Optional[int] = None,
        payment_currency: Optional[str] = None,
        best_before: Optional[datetime] = None,
        booking_info: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> str:
        """The signed URL of a payment: ``project_id`` first, then ``payment_id`` and the other
        keyword arguments in order. ``payment_amount`` is in minor units (3550 is 35.50),
        ``best_before`` a timezone-aware ``datetime``, ``booking_info`` a mapping."""
    def params_url(self, params: Mapping[str, Any]) -> str:
        """The signed URL for raw parameters (nothing added)."""
    def sign(self, params: Mapping[str, Any]) -> str:
        """The signature of ``params`` with the project's secret."""
    def verify_callback(self, body: _Body) -> EcommpayCallback:
        """Verifies a callback from its raw body; see ``polypay.ecommpay.verify_callback``."""

@final
class CancelToken:
    """Fires the cancellation of the async calls (or pager) it was passed to."""

    def __new__(cls) -> "CancelToken": ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

@final
class NativePager:
    def next(self) -> Optional[_Item]: ...
    def next_async(self) -> "asyncio.Future[Optional[_Item]]": ...

@final
class Operation:
    """The Commerce API operations: the core's operation table."""

    # ---- operations: generated from the core's operation table ----
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
    GetRefund: ClassVar[Operation]
    ListRefunds: ClassVar[Operation]
    CreatePayoutInvoice: ClassVar[Operation]
    GetPayoutInvoice: ClassVar[Operation]
    FindPayoutInvoice: ClassVar[Operation]
    ListPayoutInvoices: ClassVar[Operation]
    ListPaymentServices: ClassVar[Operation]
    GetPaymentService: ClassVar[Operation]
    ListPayoutServices: ClassVar[Operation]
    GetPayoutService: ClassVar[Operation]
    Balances: ClassVar[Operation]
    # ---- end of operations ----
    @property
    def method(self) -> str: ...
    @property
    def writes(self) -> bool: ...
    @property
    def row(self) -> Tuple[str, str, str, str, str, str, str]: ...
    @staticmethod
    def all() -> List[Operation]: ...
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
    ) -> Optional[_Record]: ...
    def call_async(
        self,
        op: Operation,
        *,
        id: Optional[str] = None,
        reference_id: Optional[str] = None,
        fields: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> "asyncio.Future[Optional[_Record]]": ...
    def list(
        self,
        op: Operation,
        *,
        reference_id: Optional[str] = None,
        page_size: Optional[int] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> NativePager: ...
    def verify_callback(self, body: _Body, signature: str) -> CallbackEvent: ...

@final
class GateOperation:
    """The ecommpay Gate operations: the core's Gate table."""

    # ---- gate operations: generated from the core's Gate table ----
    PaymentStatus: ClassVar[GateOperation]
    RequestStatus: ClassVar[GateOperation]
    Refund: ClassVar[GateOperation]
    Capture: ClassVar[GateOperation]
    Cancel: ClassVar[GateOperation]
    Payout: ClassVar[GateOperation]
    PayoutByToken: ClassVar[GateOperation]
    RecurringCharge: ClassVar[GateOperation]
    # ---- end of gate operations ----
    @property
    def method(self) -> str: ...
    @property
    def writes(self) -> bool: ...
    @property
    def row(self) -> Tuple[str, str, str, str, str, str]: ...
    @staticmethod
    def all() -> List[GateOperation]: ...
    def __int__(self) -> int: ...

@final
class GateAccepted:
    """The gateway accepted a request: the result comes by callback or ``wait_for_result``."""

    @property
    def operation(self) -> str: ...
    @property
    def payment_id(self) -> str: ...
    @property
    def request_id(self) -> Optional[str]: ...
    @property
    def project_id(self) -> int: ...
    @property
    def merchant_refund_id(self) -> Optional[str]: ...
    @property
    def reconciled(self) -> bool: ...
    @property
    def http_status(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class GatePayment:
    """A verified Gate status answer: the payment and every operation in it."""

    @property
    def project_id(self) -> Optional[int]: ...
    @property
    def payment_id(self) -> Optional[str]: ...
    @property
    def payment_type(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def sum(self) -> Optional[Tuple[int, str]]: ...
    @property
    def payment_method(self) -> Optional[str]: ...
    @property
    def card_token(self) -> Optional[str]: ...
    @property
    def recurring_id(self) -> Optional[str]: ...
    @property
    def operations(self) -> List[EcommpayOperation]: ...
    @property
    def errors(self) -> List[Tuple[Optional[str], Optional[str], Optional[str]]]: ...
    @property
    def is_final(self) -> bool: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    def operation_for(self, request_id: str) -> Optional[EcommpayOperation]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class NativeGateApi:
    def __new__(
        cls,
        project_id: int,
        secret_key: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        proxy: Optional[str] = None,
        user_agent: Optional[str] = None,
        allow_insecure_http: Optional[bool] = None,
        status_delay: Optional[float] = None,  # 10 s, as documented
    ) -> "NativeGateApi": ...
    @property
    def project_id(self) -> int: ...
    @property
    def base_url(self) -> str: ...
    def call(
        self,
        op: GateOperation,
        request: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Union[GateAccepted, GatePayment]: ...
    def call_async(
        self,
        op: GateOperation,
        request: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> "asyncio.Future[Union[GateAccepted, GatePayment]]": ...
    def wait_for_result(
        self, accepted: GateAccepted, *, timeout: Optional[float] = None
    ) -> GatePayment: ...
    def wait_for_result_async(
        self,
        accepted: GateAccepted,
        *,
        timeout: Optional[float] = None,
        cancel: Optional[CancelToken] = None,
    ) -> "asyncio.Future[GatePayment]": ...

# ---- records: generated by record_stubs() from the core's record table; tests/test_generated.py
# compares this section with it (`python tests/test_generated.py --update` rewrites it).

@final
class ResponseInfo:
    """What the HTTP exchange said about a result."""

    @property
    def http_status(self) -> int: ...
    @property
    def request_id(self) -> Optional[str]: ...
    @property
    def reconciled(self) -> bool: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class LedgerEvent:
    """A verified callback as the exactly-once ledger sees it: ``kind`` (``paycore.payment``,
    ``paycore.payout``, ``ecommpay.payment``, ``ecommpay.operation``), ``entity_id``, the
    canonical ``status``, and ``time`` (the gateway's time of this state, unix seconds)."""

    def __new__(
        cls, kind: str, entity_id: str, status: str, time: Optional[int] = None
    ) -> "LedgerEvent": ...
    @property
    def kind(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def time(self) -> Optional[int]: ...
    def decide(
        self, last_status: Optional[str] = None, last_time: Optional[int] = None
    ) -> Literal["apply", "duplicate", "stale"]:
        """What this delivery means, given the status and time applied last for the entity
        (``None``: nothing yet)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class CallbackEvent:
    """A verified PayCore callback (the same shape in every language)."""

    @property
    def event_type(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def is_final(self) -> bool: ...
    @property
    def is_success(self) -> bool: ...
    @property
    def invoice(self) -> Optional[Union[PaymentInvoice, PayoutInvoice]]: ...
    @property
    def ledger_event(self) -> Optional[LedgerEvent]:
        """The invoice's new state for the exactly-once ledger (``None`` for other resource
        types)."""
    @property
    def raw(self) -> Dict[str, Any]: ...

@final
class HppForm:
    """The auto-redirect form of the Hosted Payment Page."""

    @property
    def action(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def fields(self) -> List[Tuple[str, str]]: ...
    @property
    def html(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...

# ---- generated ----
@final
class FlowData:
    @property
    def action(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def params(self) -> Dict[str, Any]: ...

@final
class PaymentInvoice:
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> PaymentInvoiceStatus: ...
    @property
    def resolution(self) -> Optional[Resolution]: ...
    @property
    def reference_id(self) -> Optional[str]: ...
    @property
    def amount(self) -> Optional[Decimal]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def payment_amount(self) -> Optional[Decimal]: ...
    @property
    def processed_amount(self) -> Optional[Decimal]: ...
    @property
    def refunded_amount(self) -> Optional[Decimal]: ...
    @property
    def service(self) -> Optional[str]: ...
    @property
    def test_mode(self) -> Optional[bool]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def metadata(self) -> Dict[str, Any]: ...
    @property
    def flow_data(self) -> Optional[FlowData]: ...
    @property
    def created(self) -> Optional[datetime]: ...
    @property
    def updated(self) -> Optional[datetime]: ...
    @property
    def is_final(self) -> bool: ...
    @property
    def is_success(self) -> bool: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...

@final
class PayoutInvoice:
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> PayoutInvoiceStatus: ...
    @property
    def resolution(self) -> Optional[Resolution]: ...
    @property
    def reference_id(self) -> Optional[str]: ...
    @property
    def amount(self) -> Optional[Decimal]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def service(self) -> Optional[str]: ...
    @property
    def test_mode(self) -> Optional[bool]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def metadata(self) -> Dict[str, Any]: ...
    @property
    def created(self) -> Optional[datetime]: ...
    @property
    def updated(self) -> Optional[datetime]: ...
    @property
    def is_final(self) -> bool: ...
    @property
    def is_success(self) -> bool: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...

@final
class Refund:
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def reference_id(self) -> Optional[str]: ...
    @property
    def original_id(self) -> Optional[str]: ...
    @property
    def amount(self) -> Optional[Decimal]: ...
    @property
    def fee(self) -> Optional[Decimal]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def created(self) -> Optional[datetime]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...

@final
class PaymentService:
    @property
    def id(self) -> str: ...
    @property
    def service(self) -> Optional[str]: ...
    @property
    def method(self) -> Optional[str]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def available(self) -> Optional[bool]: ...
    @property
    def active(self) -> Optional[bool]: ...
    @property
    def enabled(self) -> Optional[bool]: ...
    @property
    def amount_min(self) -> Optional[Decimal]: ...
    @property
    def amount_max(self) -> Optional[Decimal]: ...
    @property
    def test_mode(self) -> Optional[bool]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...

@final
class PayoutService:
    @property
    def id(self) -> str: ...
    @property
    def service(self) -> Optional[str]: ...
    @property
    def method(self) -> Optional[str]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def available(self) -> Optional[bool]: ...
    @property
    def active(self) -> Optional[bool]: ...
    @property
    def enabled(self) -> Optional[bool]: ...
    @property
    def amount_min(self) -> Optional[Decimal]: ...
    @property
    def amount_max(self) -> Optional[Decimal]: ...
    @property
    def test_mode(self) -> Optional[bool]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...

@final
class CurrencyAccount:
    @property
    def currency(self) -> str: ...
    @property
    def account_id(self) -> Optional[str]: ...
    @property
    def active_balance(self) -> Optional[Decimal]: ...
    @property
    def pending_balance(self) -> Optional[Decimal]: ...
    @property
    def reserved_balance(self) -> Optional[Decimal]: ...
    @property
    def overdraft_limit(self) -> Optional[Decimal]: ...
    @property
    def balance_lower_limit(self) -> Optional[Decimal]: ...

@final
class Balances:
    @property
    def account_id(self) -> str: ...
    @property
    def currencies(self) -> List[CurrencyAccount]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...

@final
class PrerequestService:
    @property
    def code(self) -> str: ...
    @property
    def method(self) -> Optional[str]: ...
    @property
    def flow(self) -> Optional[str]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def amount_min(self) -> Optional[Decimal]: ...
    @property
    def amount_max(self) -> Optional[Decimal]: ...
    @property
    def fields(self) -> List[Any]: ...

@final
class Prerequest:
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def test_mode(self) -> Optional[bool]: ...
    @property
    def services(self) -> List[PrerequestService]: ...
    @property
    def methods(self) -> Dict[str, Any]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def response(self) -> Optional[ResponseInfo]: ...
# ---- end of generated ----
