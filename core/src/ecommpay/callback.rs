//! ecommpay callbacks (docs §3): the signature travels inside the JSON body.
//!
//! Verification reads the raw body (numbers keep their exact text), takes the signature from
//! `signature` or `general.signature`, removes every `signature` key at every depth (inside
//! lists too), re-signs the rest and compares in constant time.

use serde_json::{Map, Value};

use super::canonical::Canonical;
use super::json_feed::{self, streamable, Picked, Signatures, Spec};
use super::signature::Signer;
use crate::error::{Error, Result};
use crate::json::{self, read};
use crate::ledger::{LedgerEvent, Lifecycle};
use crate::open_enum::open_enum;

open_enum! {
    /// `payment.status` (PHP SDK constants plus the WooCommerce plugin's extra values).
    pub enum PaymentStatus {
        Success = "success",
        Decline = "decline",
        Awaiting3dsResult = "awaiting 3ds result",
        AwaitingRedirectResult = "awaiting redirect result",
        AwaitingCustomer = "awaiting customer",
        AwaitingClarification = "awaiting clarification",
        AwaitingCapture = "awaiting capture",
        /// The platform spells it `canceled`; older SDKs `cancelled`.
        Canceled = "canceled" | "cancelled",
        Refunded = "refunded",
        PartiallyRefunded = "partially refunded",
        Processing = "processing",
        Error = "error",
        Reversed = "reversed",
        PartiallyReversed = "partially reversed",
        Expired = "expired",
        InternalError = "internal error",
        ExternalError = "external error",
    }
}

impl PaymentStatus {
    pub fn is_success(&self) -> bool {
        matches!(self, PaymentStatus::Success)
    }
}

open_enum! {
    /// `operation.status`.
    pub enum OperationStatus {
        Success = "success",
        Decline = "decline",
        Processing = "processing",
        AwaitingApproval = "awaiting approval",
        Awaiting3dsResult = "awaiting 3ds result",
        AwaitingRedirectResult = "awaiting redirect result",
        AwaitingCustomer = "awaiting customer",
        ExternalProcessing = "external processing",
        ExternalError = "external error",
        InternalError = "internal error",
        Expired = "expired",
        Unknown = "unknown",
    }
}

/// An amount in minor units with its currency (`payment.sum`, `operation.sum_initial`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub amount: i64,
    pub currency: String,
}

/// The last operation of the payment (`operation`).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub id: Option<String>,
    pub operation_type: Option<String>,
    pub status: Option<OperationStatus>,
    pub request_id: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub sum_initial: Option<Sum>,
    pub sum_converted: Option<Sum>,
}

/// A verified callback, with typed accessors over the body and the whole body in [`raw`](Self::raw).
#[derive(Debug, Clone)]
pub struct EcommpayCallback {
    fields: Fields,
    /// The whole verified body, parsed on first use of [`raw`](Self::raw): most handlers only
    /// read the typed fields.
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    Parsed(Map<String, Value>),
    Text {
        text: Box<[u8]>,
        parsed: std::sync::OnceLock<Map<String, Value>>,
    },
}

impl PartialEq for EcommpayCallback {
    fn eq(&self, other: &Self) -> bool {
        self.raw() == other.raw()
    }
}

/// What the typed accessors return, read once at verification.
#[derive(Debug, Clone, PartialEq)]
struct Fields {
    project_id: Option<i64>,
    payment_id: Option<String>,
    payment_type: Option<String>,
    payment_status: Option<PaymentStatus>,
    payment_sum: Option<Sum>,
    payment_method: Option<String>,
    customer_id: Option<String>,
    card_token: Option<String>,
    card_mask: Option<String>,
    recurring_id: Option<String>,
    operation: Option<Operation>,
    /// `operation.date`, else `payment.date`, in unix seconds: when the reported state arose.
    time: Option<i64>,
}

/// An object the fields are read from: the parsed body, or only its picked members.
trait Object {
    fn value(&self, key: &str) -> Option<&Value>;
    /// The member `key` when it is an object (PHP may write an empty one as `[]`).
    fn object(&self, key: &str) -> Option<&Self>;
}

impl Object for Map<String, Value> {
    fn value(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
    fn object(&self, key: &str) -> Option<&Self> {
        read::object(self, key)
    }
}

impl Fields {
    fn read<O: Object>(body: &O) -> Fields {
        let string = |o: &O, key: &str| o.value(key).and_then(read::string_of);
        let integer = |o: &O, key: &str| o.value(key).and_then(read::integer_of);
        let sum = sum_of::<O>;
        let payment = body.object("payment");
        let general = body.object("general");
        let account = body.object("account");
        Fields {
            project_id: integer(body, "project_id")
                .or_else(|| general.and_then(|g| integer(g, "project_id"))),
            // `payment.id`, or `general.payment_id` in Gate-format callbacks.
            payment_id: payment
                .and_then(|p| string(p, "id"))
                .or_else(|| general.and_then(|g| string(g, "payment_id"))),
            payment_type: payment.and_then(|p| string(p, "type")),
            payment_status: payment
                .and_then(|p| string(p, "status"))
                .map(|s| PaymentStatus::parse(&s)),
            payment_sum: payment.and_then(|p| sum(p, "sum")),
            payment_method: payment.and_then(|p| string(p, "method")),
            customer_id: body.object("customer").and_then(|c| string(c, "id")),
            // `account.token`, or the top-level `token` of a tokenize callback.
            card_token: account
                .and_then(|a| string(a, "token"))
                .or_else(|| string(body, "token")),
            card_mask: account.and_then(|a| string(a, "number")),
            recurring_id: body.object("recurring").and_then(|r| string(r, "id")),
            operation: body.object("operation").map(Operation::read),
            time: [body.object("operation"), payment]
                .into_iter()
                .flatten()
                .find_map(|o| string(o, "date").and_then(|d| crate::ledger::ecommpay_time(&d))),
        }
    }
}

fn sum_of<O: Object>(o: &O, key: &str) -> Option<Sum> {
    let s = o.object(key)?;
    Some(Sum {
        amount: s.value("amount").and_then(read::integer_of)?,
        currency: s.value("currency").and_then(read::string_of)?,
    })
}

impl Operation {
    fn read<O: Object>(op: &O) -> Operation {
        let string = |key: &str| op.value(key).and_then(read::string_of);
        Operation {
            id: string("id"),
            operation_type: string("type"),
            status: string("status").map(|s| OperationStatus::parse(&s)),
            request_id: string("request_id"),
            code: string("code"),
            message: string("message"),
            sum_initial: sum_of(op, "sum_initial"),
            sum_converted: sum_of(op, "sum_converted"),
        }
    }

    /// An operation object of a callback or a Gate status answer (`operations[]`).
    pub fn from_map(op: &Map<String, Value>) -> Operation {
        Operation::read(op)
    }

    /// The operation has its result: it will not change any more.
    pub fn is_final(&self) -> bool {
        use OperationStatus::*;
        matches!(
            self.status,
            Some(Success | Decline | ExternalError | InternalError | Expired)
        )
    }
}

/// The members [`Fields`] reads, and theirs: they are picked out of a callback body in the
/// same pass that verifies it (see [`Picked`]); everything else is never built.
static SUM: Spec = Spec(&[("amount", None), ("currency", None)]);
static HEAD: Spec = Spec(&[
    ("project_id", None),
    ("token", None),
    ("customer", Some(&Spec(&[("id", None)]))),
    ("account", Some(&Spec(&[("token", None), ("number", None)]))),
    ("recurring", Some(&Spec(&[("id", None)]))),
    (
        "general",
        Some(&Spec(&[("project_id", None), ("payment_id", None)])),
    ),
    (
        "payment",
        Some(&Spec(&[
            ("id", None),
            ("type", None),
            ("status", None),
            ("method", None),
            ("date", None),
            ("sum", Some(&SUM)),
        ])),
    ),
    (
        "operation",
        Some(&Spec(&[
            ("id", None),
            ("type", None),
            ("status", None),
            ("request_id", None),
            ("code", None),
            ("message", None),
            ("date", None),
            ("sum_initial", Some(&SUM)),
            ("sum_converted", Some(&SUM)),
        ])),
    ),
]);

impl Object for Picked {
    fn value(&self, key: &str) -> Option<&Value> {
        Picked::value(self, key)
    }
    fn object(&self, key: &str) -> Option<&Self> {
        Picked::object(self, key)
    }
}

impl EcommpayCallback {
    fn parsed(body: Map<String, Value>) -> EcommpayCallback {
        EcommpayCallback {
            fields: Fields::read(&body),
            body: Body::Parsed(body),
        }
    }
}

/// Verifies a raw callback body with the project's secret key.
pub fn verify_callback(body: &[u8], secret: &str) -> Result<EcommpayCallback> {
    check_secret(secret)?;
    verify_with(body, &Signer::cached(secret))
}

pub(crate) fn verify_with(body: &[u8], signer: &Signer) -> Result<EcommpayCallback> {
    // The common case in one pass over the text; anything else (and every failure, for its
    // precise error) takes the exact path below.
    if let Some((true, Some(head))) = verify_in_one_pass(body, signer) {
        return Ok(EcommpayCallback {
            fields: Fields::read(&head),
            body: Body::Text {
                text: body.into(),
                parsed: std::sync::OnceLock::new(),
            },
        });
    }
    verify_document(json::parse_object(body, "body")?, signer)
}

/// Verifies a parsed document (a Gate status answer): the exact path of [`verify_with`].
pub(crate) fn verify_document(
    mut document: Map<String, Value>,
    signer: &Signer,
) -> Result<EcommpayCallback> {
    let signature = take_signature(&document)?;
    strip_signatures(&mut document);
    if signer.verify(&document, &signature)? {
        Ok(EcommpayCallback::parsed(document))
    } else {
        Err(Error::signature(
            "mismatch",
            "the callback signature does not match its body: check the project's secret key \
             and that the raw request body is passed (string_to_sign() shows what was signed)",
        ))
    }
}

/// Verifies a callback body in one pass over its text, without building a document:
/// whether the signature matches, with the members the typed fields read (`None` when one
/// is not in the usual shape). `None` when the body needs the exact path (not a plain
/// object, no usable signature, repeated or integer-like keys, any error there): the caller
/// then parses it fully, which also gives the precise error.
fn verify_in_one_pass(body: &[u8], signer: &Signer) -> Option<(bool, Option<Picked>)> {
    let text = streamable(body)?;
    let mut out = Canonical::new(32);
    let mut found = Signatures::default();
    let mut head = Picked::new(&HEAD);
    let mut de = serde_json::Deserializer::from_str(text);
    let usual =
        json_feed::feed_object(&mut de, &mut out, Some(&mut found), Some(&mut head)).ok()?;
    de.end().ok()?;
    let signature = found.signature()?;
    let flat = out.finish()?;
    Some((signer.verify_flat(&flat, &signature), usual.then_some(head)))
}

/// The secret must be usable: empty or whitespace-padded keys would accept forged callbacks
/// or reject every real one.
pub(crate) fn check_secret(secret: &str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::invalid(
            "secret",
            "empty_secret",
            "is empty; pass the project's secret key",
        ));
    }
    if secret.trim() != secret {
        return Err(Error::invalid(
            "secret",
            "whitespace_secret",
            "has leading or trailing whitespace (a newline from an env file?); strip it",
        ));
    }
    Ok(())
}

/// `signature ?? general.signature` (PHP's `??` skips nulls); "" and "0" count as absent.
fn take_signature(document: &Map<String, Value>) -> Result<String> {
    let found = document
        .get("signature")
        .filter(|v| !v.is_null())
        .or_else(|| {
            document
                .get("general")
                .and_then(Value::as_object)
                .and_then(|general| general.get("signature"))
        });
    match found {
        Some(Value::String(s)) if !s.is_empty() && s != "0" => Ok(s.clone()),
        Some(Value::String(_)) | Some(Value::Null) | None => Err(Error::signature(
            "missing",
            "the callback has no signature (looked at \"signature\" and \"general.signature\")",
        )),
        Some(other) => Err(Error::signature(
            "malformed",
            format!(
                "the callback's signature is {}, not a string",
                json::type_name(other)
            ),
        )),
    }
}

fn strip_signatures(map: &mut Map<String, Value>) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => strip_signatures(map),
            Value::Array(list) => list.iter_mut().for_each(strip),
            _ => {}
        }
    }
    map.shift_remove("signature");
    map.values_mut().for_each(strip);
}

impl EcommpayCallback {
    /// The verified body without its `signature` fields.
    pub fn raw(&self) -> &Map<String, Value> {
        match &self.body {
            Body::Parsed(map) => map,
            Body::Text { text, parsed } => parsed.get_or_init(|| {
                let mut map = json::parse_object(text, "body").unwrap_or_default();
                strip_signatures(&mut map);
                map
            }),
        }
    }

    pub fn project_id(&self) -> Option<i64> {
        self.fields.project_id
    }

    /// `payment.id`, or `general.payment_id` in Gate-format callbacks.
    pub fn payment_id(&self) -> Option<String> {
        self.fields.payment_id.clone()
    }

    pub fn payment_type(&self) -> Option<String> {
        self.fields.payment_type.clone()
    }

    pub fn payment_status(&self) -> Option<PaymentStatus> {
        self.fields.payment_status.clone()
    }

    pub fn payment_sum(&self) -> Option<Sum> {
        self.fields.payment_sum.clone()
    }

    /// `payment.method`, e.g. `card`.
    pub fn payment_method(&self) -> Option<String> {
        self.fields.payment_method.clone()
    }

    /// `customer.id`: the merchant's customer, as sent with the payment.
    pub fn customer_id(&self) -> Option<String> {
        self.fields.customer_id.clone()
    }

    /// The saved card's token for later payments (`account.token`, or `token` in a tokenize
    /// callback).
    pub fn card_token(&self) -> Option<String> {
        self.fields.card_token.clone()
    }

    /// The masked card number (`account.number`, e.g. `531234******4321`).
    pub fn card_mask(&self) -> Option<String> {
        self.fields.card_mask.clone()
    }

    /// The recurring (COF) id to charge the card again (`recurring.id`).
    pub fn recurring_id(&self) -> Option<String> {
        self.fields.recurring_id.clone()
    }

    /// The last operation, with its decline `code` and `message`.
    pub fn operation(&self) -> Option<Operation> {
        self.fields.operation.clone()
    }

    /// The payment succeeded (`payment.status == "success"`).
    pub fn is_success(&self) -> bool {
        self.payment_status().is_some_and(|s| s.is_success())
    }

    /// The payment's new state for the exactly-once ledger (`payment_id`, `payment.status`, the
    /// operation's date); `None` when the callback has no payment id or status.
    pub fn ledger_event(&self) -> Option<LedgerEvent> {
        let status = self.fields.payment_status.as_ref()?;
        let id = self.fields.payment_id.as_deref()?;
        LedgerEvent::new(
            Lifecycle::EcommpayPayment,
            id,
            status.as_str(),
            self.fields.time,
        )
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecommpay::signature::sign;

    fn signed(body: &str, secret: &str) -> String {
        let mut doc: Map<String, Value> = serde_json::from_str(body).unwrap();
        let sig = sign(&doc, secret).unwrap();
        doc.insert("signature".into(), Value::String(sig));
        serde_json::to_string(&doc).unwrap()
    }

    #[test]
    fn reads_the_card_customer_and_recurring_members_on_both_paths() {
        let body = signed(
            r#"{"project_id":1,"payment":{"id":"p-2","type":"purchase","status":"success","method":"card",
            "sum":{"amount":100,"currency":"EUR"}},"account":{"number":"531234******4321","token":"c0ffee12ab",
            "type":"mastercard"},"customer":{"id":"usr-1"},"recurring":{"id":1079,"currency":"EUR"},
            "operation":{"id":5,"type":"sale","status":"decline","code":"20105","message":"Insufficient funds"}}"#,
            "secret",
        );
        let one_pass = verify_callback(body.as_bytes(), "secret").unwrap();
        assert!(matches!(one_pass.body, Body::Text { .. }));
        assert_eq!(one_pass.payment_method().as_deref(), Some("card"));
        assert_eq!(one_pass.customer_id().as_deref(), Some("usr-1"));
        assert_eq!(one_pass.card_token().as_deref(), Some("c0ffee12ab"));
        assert_eq!(one_pass.card_mask().as_deref(), Some("531234******4321"));
        assert_eq!(one_pass.recurring_id().as_deref(), Some("1079"));
        let op = one_pass.operation().unwrap();
        assert_eq!(
            (op.code.as_deref(), op.message.as_deref()),
            (Some("20105"), Some("Insufficient funds"))
        );
        // The exact path (a parsed document) reads the same fields.
        let mut document: Map<String, Value> = serde_json::from_str(&body).unwrap();
        strip_signatures(&mut document);
        assert_eq!(EcommpayCallback::parsed(document).fields, one_pass.fields);

        // A tokenize callback: the token at the top level, the project in `general`.
        let token = signed(
            r#"{"general":{"project_id":7},"customer":{"id":"usr-9"},"token":"tok-1","token_status":"active"}"#,
            "secret",
        );
        let cb = verify_callback(token.as_bytes(), "secret").unwrap();
        assert_eq!(cb.card_token().as_deref(), Some("tok-1"));
        assert_eq!(
            (cb.project_id(), cb.customer_id().as_deref()),
            (Some(7), Some("usr-9"))
        );
    }

    #[test]
    fn verifies_and_reads() {
        let body = signed(
            r#"{"project_id":1,"payment":{"id":"p-1","type":"purchase","status":"success","sum":{"amount":125000,"currency":"EUR"}},
            "operation":{"id":1000000000001,"type":"sale","status":"success","sum_initial":{"amount":125000,"currency":"EUR"}},"rate":10.0}"#,
            "secret",
        );
        let cb = verify_callback(body.as_bytes(), "secret").unwrap();
        // The one-pass path: only the typed members were built.
        assert!(matches!(cb.body, Body::Text { .. }));
        assert_eq!(cb.payment_id().as_deref(), Some("p-1"));
        assert!(cb.is_success());
        assert_eq!(cb.payment_sum().unwrap().amount, 125000);
        let op = cb.operation().unwrap();
        assert_eq!(op.id.as_deref(), Some("1000000000001"));
        assert_eq!(op.status, Some(OperationStatus::Success));
        assert_eq!(
            verify_callback(body.replace("125000", "125001").as_bytes(), "secret")
                .unwrap_err()
                .code(),
            "mismatch"
        );
        assert_eq!(
            verify_callback(body.as_bytes(), "other")
                .unwrap_err()
                .code(),
            "mismatch"
        );
    }

    #[test]
    fn callbacks_verify_in_one_pass() {
        let signer = Signer::new("k");
        let verified =
            |body: &str| verify_in_one_pass(body.as_bytes(), &signer).map(|(matched, _)| matched);
        let doc: Map<String, Value> = serde_json::from_str(
            r#"{"project_id":1,"payment":{"id":"p","sum":{"amount":100}},"ops":[{"id":1}]}"#,
        )
        .unwrap();
        let sig = signer.sign(&doc).unwrap();
        let body = format!(
            r#"{{"project_id":1,"signature":"{sig}","payment":{{"id":"p","signature":"x","sum":{{"amount":100}}}},"ops":[{{"id":1,"signature":{{"n":1}}}}]}}"#
        );
        assert_eq!(verified(&body), Some(true));
        let general = format!(
            r#"{{"general":{{"signature":"{sig}"}},"project_id":1,"payment":{{"id":"p","sum":{{"amount":100}}}},"ops":[{{"id":1}}]}}"#
        );
        assert_eq!(verified(&general), Some(true));
        let tampered = body.replace(r#""amount":100"#, r#""amount":101"#);
        assert_eq!(verified(&tampered), Some(false));
        assert_eq!(verified(r#"{"signature":"0"}"#), None);
        assert_eq!(verified(r#"{"signature":12}"#), None);
    }

    #[test]
    fn picked_members_read_like_the_whole_body() {
        let vectors: Value = serde_json::from_str(include_str!(
            "../../../tests/vectors/ecommpay_callback.json"
        ))
        .unwrap();
        let mut picked = 0;
        for case in vectors["cases"].as_array().unwrap() {
            let body = case["body"].as_str().unwrap().as_bytes();
            let signer = Signer::new(case["secret"].as_str().unwrap());
            let (Ok(mut whole), Some((true, Some(head)))) = (
                json::parse_object(body, "body"),
                verify_in_one_pass(body, &signer),
            ) else {
                continue;
            };
            strip_signatures(&mut whole);
            assert_eq!(Fields::read(&head), Fields::read(&whole), "{}", case["id"]);
            picked += 1;
        }
        assert!(picked > 10, "only {picked} vectors were read both ways");
    }

    #[test]
    fn unusual_shapes_are_read_whole() {
        // A picked object written as a list or a scalar, a picked scalar written as an object:
        // the one pass leaves these to the exact path, which reads them as PHP would.
        for inner in [
            r#"{"payment":[],"general":{"payment_id":"g"}}"#,
            r#"{"payment":"p","operation":null}"#,
            r#"{"payment":{"id":{"x":1},"sum":[1]},"project_id":[2]}"#,
        ] {
            let doc: Map<String, Value> = serde_json::from_str(inner).unwrap();
            let sig = sign(&doc, "k").unwrap();
            let body = format!(r#"{{"signature":"{sig}",{}"#, &inner[1..]);
            let (matched, head) = verify_in_one_pass(body.as_bytes(), &Signer::new("k")).unwrap();
            assert!(matched && head.is_none(), "{inner}");
            let cb = verify_callback(body.as_bytes(), "k").unwrap();
            assert!(matches!(cb.body, Body::Parsed(_)));
            assert_eq!(cb.fields, Fields::read(&doc), "{inner}");
        }
    }

    #[test]
    fn signature_lookup_and_removal() {
        let inner = r#"{"general":{"project_id":1,"payment_id":"g-1"},"ops":[{"signature":"x","id":1}],"m":{"signature":"y"}}"#;
        let mut doc: Map<String, Value> = serde_json::from_str(inner).unwrap();
        strip_signatures(&mut doc);
        let sig = sign(&doc, "k").unwrap();
        let body = inner.replace(
            r#""project_id":1,"#,
            &format!(r#""project_id":1,"signature":"{sig}","#),
        );
        let cb = verify_callback(body.as_bytes(), "k").unwrap();
        assert!(matches!(cb.body, Body::Text { .. }));
        assert!(!cb.raw()["ops"][0]
            .as_object()
            .unwrap()
            .contains_key("signature"));
        assert_eq!(cb.payment_id().as_deref(), Some("g-1"));
        assert_eq!(cb.project_id(), Some(1));

        let code = |body: &str| verify_callback(body.as_bytes(), "k").unwrap_err().code();
        assert_eq!(code(r#"{"a":1}"#), "missing");
        assert_eq!(code(r#"{"signature":"0"}"#), "missing");
        assert_eq!(code(r#"{"signature":12}"#), "malformed");
        assert_eq!(code(r#"{"body":{"signature":"x"}}"#), "missing");
        assert_eq!(code("[]"), "not_an_object");
        assert_eq!(code("nonsense"), "invalid_json");
        assert_eq!(
            verify_callback(b"{}", "").unwrap_err().code(),
            "empty_secret"
        );
    }
}
