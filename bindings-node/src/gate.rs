//! The ecommpay Gate client: the core's Gate table as an enum, and one class whose calls take
//! the request as JSON text (key order and exact numbers kept). A status answer crosses as
//! JSON text too, typed fields and `raw` together, parsed once by `JSON.parse`.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use polypay::ecommpay::{
    GateAccepted as CoreAccepted, GateApi, GateOperation as CoreOperation, GateOptions,
    GatePayment as CorePayment, GateRequest,
};
use polypay::paycore::client::timeout_from_millis;
use serde_json::{Map, Value};

use crate::records::{sum, EcommpayOperation, EcommpaySum};
use crate::{cancel_token, core, count, option_error, to_napi};

macro_rules! node_gate_operations {
    ($( $(#[doc = $doc:literal])* $variant:ident $name:ident: $semantics:ident $path:literal -> $output:ident; )*) => {
        /// The ecommpay Gate operations: the core's Gate table.
        #[napi]
        pub enum GateOperation {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl From<GateOperation> for CoreOperation {
            fn from(operation: GateOperation) -> CoreOperation {
                match operation {
                    $( GateOperation::$variant => CoreOperation::$variant, )*
                }
            }
        }
    };
}

polypay::ecommpay_gate_operations!(node_gate_operations);

/// A row of the Gate table (see `gateOperationTable`).
#[napi(object, object_from_js = false)]
pub struct GateOperationRow {
    pub variant: String,
    pub name: String,
    pub semantics: String,
    pub path: String,
    pub output: String,
    pub doc: Vec<String>,
}

/// The Gate table's rows, from which `scripts/operations.mjs` writes the methods (internal).
#[napi(catch_unwind)]
pub fn gate_operation_table() -> Vec<GateOperationRow> {
    CoreOperation::ALL
        .iter()
        .map(|&op| GateOperationRow {
            variant: op.variant().into(),
            name: op.as_str().into(),
            semantics: format!("{:?}", op.semantics()),
            path: op.path_template().into(),
            output: op.output().into(),
            doc: op.doc().iter().map(|line| line.to_string()).collect(),
        })
        .collect()
}

/// The core's [`GateOptions`] under their JS names; times in milliseconds.
#[napi(object)]
pub struct NativeGateOptions {
    pub base_url: Option<String>,
    pub timeout: Option<f64>,
    pub request_timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub max_retries: Option<f64>,
    pub proxy: Option<String>,
    pub user_agent: Option<String>,
    pub allow_insecure_http: Option<bool>,
    pub status_delay: Option<f64>,
}

fn gate_options(options: NativeGateOptions) -> polypay::Result<GateOptions> {
    let millis =
        |value: Option<f64>, name: &str| value.map(|ms| timeout_from_millis(ms, name)).transpose();
    Ok(GateOptions {
        base_url: options.base_url,
        timeout: millis(options.timeout, "timeout")?,
        request_timeout: millis(options.request_timeout, "request_timeout")?,
        connect_timeout: millis(options.connect_timeout, "connect_timeout")?,
        max_retries: options.max_retries.map(count),
        proxy: options.proxy,
        user_agent: options.user_agent,
        allow_insecure_http: options.allow_insecure_http,
        status_delay: options
            .status_delay
            .map(polypay::ecommpay::status_delay_from_millis)
            .transpose()?,
    })
}

/// The gateway accepted a request: the result comes by callback, or by `waitForResult`.
#[napi(object, use_nullable = true)]
pub struct GateAccepted {
    /// The operation's method name (`refund`).
    pub operation: String,
    pub payment_id: String,
    pub request_id: Option<String>,
    pub project_id: i64,
    pub merchant_refund_id: Option<String>,
    /// Found through the status endpoint after an unknown outcome, not accepted by this call.
    pub reconciled: bool,
    pub http_status: u32,
}

impl From<CoreAccepted> for GateAccepted {
    fn from(a: CoreAccepted) -> GateAccepted {
        GateAccepted {
            operation: a.operation.as_str().into(),
            payment_id: a.payment_id,
            request_id: a.request_id,
            project_id: a.project_id,
            merchant_refund_id: a.merchant_refund_id,
            reconciled: a.reconciled,
            http_status: a.http_status.into(),
        }
    }
}

impl GateAccepted {
    fn core(&self) -> polypay::Result<CoreAccepted> {
        let operation = CoreOperation::parse(&self.operation).ok_or_else(|| {
            polypay::Error::invalid(
                "accepted.operation",
                "unknown_operation",
                "is not a Gate operation: pass the object a write answered",
            )
        })?;
        Ok(CoreAccepted {
            operation,
            payment_id: self.payment_id.clone(),
            request_id: self.request_id.clone(),
            project_id: self.project_id,
            merchant_refund_id: self.merchant_refund_id.clone(),
            reconciled: self.reconciled,
            http_status: u16::try_from(self.http_status).unwrap_or(200),
        })
    }
}

/// An item of a status answer's `errors`.
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(serde::Serialize)]
pub struct GateErrorItem {
    pub code: Option<String>,
    pub message: Option<String>,
    pub field: Option<String>,
}

/// The typed fields of a verified Gate status answer (the TypeScript layer adds `raw`).
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatePayment {
    pub project_id: Option<i64>,
    pub payment_id: Option<String>,
    pub payment_type: Option<String>,
    pub status: Option<String>,
    pub sum: Option<EcommpaySum>,
    pub payment_method: Option<String>,
    pub card_token: Option<String>,
    pub recurring_id: Option<String>,
    /// `operations[]`, oldest first.
    pub operations: Vec<EcommpayOperation>,
    pub errors: Vec<GateErrorItem>,
    /// The payment is in a state only a new request changes.
    pub is_final: bool,
}

/// The typed fields and `raw`, as JSON text.
fn payment_json(p: &CorePayment) -> String {
    #[derive(serde::Serialize)]
    struct WithRaw<'a> {
        #[serde(flatten)]
        typed: GatePayment,
        raw: &'a Map<String, Value>,
    }
    let typed = GatePayment {
        project_id: p.project_id(),
        payment_id: p.payment_id(),
        payment_type: p.payment_type(),
        status: p.status().map(|s| s.as_str().to_owned()),
        sum: p.sum().map(sum),
        payment_method: p.payment_method(),
        card_token: p.card_token(),
        recurring_id: p.recurring_id(),
        operations: p
            .operations
            .iter()
            .cloned()
            .map(EcommpayOperation::new)
            .collect(),
        errors: p
            .errors
            .iter()
            .map(|e| GateErrorItem {
                code: e.code.clone(),
                message: e.message.clone(),
                field: e.field.clone(),
            })
            .collect(),
        is_final: p.is_final(),
    };
    serde_json::to_string(&WithRaw {
        typed,
        raw: p.raw(),
    })
    .expect("serialising to memory")
}

/// The Gate client of one ecommpay project (cheap to share; one connection pool).
#[napi]
pub struct NativeGateApi {
    gate: GateApi,
}

fn request(request_json: &str, method: Option<String>) -> polypay::Result<GateRequest> {
    Ok(GateRequest {
        body: polypay::json::parse_object(request_json.as_bytes(), "request")?,
        method,
    })
}

#[napi]
impl NativeGateApi {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        project_id: i64,
        secret_key: String,
        options: NativeGateOptions,
    ) -> napi::Result<Self> {
        let options = gate_options(options).map_err(option_error);
        let gate = core(options.and_then(|o| GateApi::new(project_id, &secret_key, o)))?;
        Ok(NativeGateApi { gate })
    }

    #[napi(getter, catch_unwind)]
    pub fn project_id(&self) -> i64 {
        self.gate.project_id()
    }

    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.gate.base_url().to_owned()
    }

    fn gate(&self, timeout_ms: Option<f64>, cancel_id: Option<u32>) -> napi::Result<GateApi> {
        let mut gate = match timeout_ms {
            Some(ms) => self
                .gate
                .with_deadline(core(timeout_from_millis(ms, "options.timeout"))?),
            None => self.gate.clone(),
        };
        if let Some(id) = cancel_id {
            gate = gate.with_cancel(cancel_token(id));
        }
        Ok(gate)
    }

    /// Runs an operation: a write answers the accepted request, a status request the
    /// verified answer as JSON text (typed fields and `raw`).
    #[napi]
    pub async fn call(
        &self,
        operation: GateOperation,
        request_json: String,
        method: Option<String>,
        timeout_ms: Option<f64>,
        cancel_id: Option<u32>,
    ) -> napi::Result<Either<GateAccepted, String>> {
        let gate = self.gate(timeout_ms, cancel_id)?;
        let request = core(request(&request_json, method))?;
        match gate
            .execute(operation.into(), request)
            .await
            .map_err(to_napi)?
        {
            polypay::ecommpay::GateOutcome::Accepted(a) => Ok(Either::A(a.into())),
            polypay::ecommpay::GateOutcome::Payment(p) => Ok(Either::B(payment_json(&p))),
        }
    }

    /// Waits for an accepted request's final status (JSON text, as `call`'s status answers).
    #[napi]
    pub async fn wait_for_result(
        &self,
        accepted: GateAccepted,
        timeout_ms: Option<f64>,
        cancel_id: Option<u32>,
    ) -> napi::Result<String> {
        let gate = self.gate(timeout_ms, cancel_id)?;
        let accepted = core(accepted.core())?;
        let payment = gate.wait_for_result(&accepted).await.map_err(to_napi)?;
        Ok(payment_json(&payment))
    }
}
