//! `polypay paycore api <operation>`: every Commerce API call from the command line.

use std::io::Write;
use std::time::Duration;

use clap::{Args, ValueEnum};
use polypay::paycore::client::{
    Config, PaymentInvoiceRequest, PayoutInvoiceRequest, PrerequestRequest, RefundRequest, Secret,
};
use polypay::paycore::{BlockingClient, Environment, ListOptions, Response};
use polypay::{Error, ErrorKind};
use serde_json::{json, Map, Value};

pub const EXIT_CODES: &str = "\
Configuration comes from the environment: POLYPAY_BASE_URL (or POLYPAY_ENV=paycore|paymega),
POLYPAY_PUBLIC_KEY, POLYPAY_ACCOUNT_ID, POLYPAY_API_KEY, POLYPAY_SECRET_KEY.

BODY is the operation's fields as one flat JSON object, e.g.
  {\"reference_id\": \"r1\", \"amount\": \"100.55\", \"currency\": \"USD\", \"service\": \"payment_card_usd_hpp\"}
(the JSON:API document is built for you; a reference_id is generated when missing).

Success: the result as JSON on stdout (lists: a JSON array of every item across all pages), exit 0.
Failure: one JSON object on stderr {kind, code, http_status, request_id, outcome_unknown, retryable,
reference_id, message, fields} and an exit code per kind:
   2 invalid_input        3 configuration       4 authentication      5 permission
   6 not_found            7 method_not_allowed  8 conflict            9 validation
  10 rate_limited        11 server             12 timeout            13 connection
  14 decode              15 signature";

#[derive(Clone, Copy, ValueEnum)]
pub enum Operation {
    PaymentPrerequest,
    PayoutPrerequest,
    CreatePaymentInvoicePublic,
    GetPaymentInvoicePublic,
    GetPayoutInvoicePublic,
    CreatePaymentInvoice,
    GetPaymentInvoice,
    FindPaymentInvoice,
    ListPaymentInvoices,
    RefundPaymentInvoice,
    CreatePayoutInvoice,
    GetPayoutInvoice,
    FindPayoutInvoice,
    ListPayoutInvoices,
    ListPaymentServices,
    GetPaymentService,
    Balances,
}

#[derive(Args)]
pub struct ApiArgs {
    operation: Operation,
    /// The request fields as a flat JSON object
    #[arg(long = "json", value_name = "BODY")]
    body: Option<String>,
    /// The id of the invoice or service
    #[arg(long)]
    id: Option<String>,
    /// The reference_id to find, or to filter a list by
    #[arg(long)]
    reference_id: Option<String>,
    /// Stop a list after N items
    #[arg(long)]
    limit: Option<usize>,
    /// Items per page request
    #[arg(long)]
    page_size: Option<u32>,
    /// Overall deadline of the call in seconds, retries included
    #[arg(long)]
    timeout: Option<f64>,
}

pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => 2,
        ErrorKind::Configuration => 3,
        ErrorKind::Authentication => 4,
        ErrorKind::Permission => 5,
        ErrorKind::NotFound => 6,
        ErrorKind::MethodNotAllowed => 7,
        ErrorKind::Conflict => 8,
        ErrorKind::Validation => 9,
        ErrorKind::RateLimited => 10,
        ErrorKind::Server => 11,
        ErrorKind::Timeout => 12,
        ErrorKind::Connection => 13,
        ErrorKind::Decode => 14,
        ErrorKind::Signature => 15,
        _ => 1,
    }
}

/// The error as the one JSON line the CLI prints on stderr.
pub fn error_json(error: &Error) -> Value {
    let fields: Map<String, Value> = error
        .fields()
        .iter()
        .map(|(field, message)| (field.clone(), Value::from(message.clone())))
        .collect();
    json!({
        "kind": error.kind().as_str(),
        "code": error.code(),
        "http_status": error.http_status(),
        "request_id": error.request_id(),
        "outcome_unknown": error.outcome_unknown(),
        "retryable": error.retryable(),
        "reference_id": error.reference_id(),
        "retry_after": error.retry_after().map(|d| d.as_secs_f64()),
        "argument": error.argument(),
        "message": error.to_string(),
        "fields": fields,
    })
}

fn config_from_env() -> Result<Config, Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let environment = Environment::resolve(
        var("POLYPAY_ENV").as_deref(),
        var("POLYPAY_BASE_URL").as_deref(),
    )?;
    let mut config = Config::new(environment);
    config.public_key = var("POLYPAY_PUBLIC_KEY");
    config.account_id = var("POLYPAY_ACCOUNT_ID");
    config.api_key = var("POLYPAY_API_KEY").map(Secret::new);
    config.secret_key = var("POLYPAY_SECRET_KEY").map(Secret::new);
    config.user_agent_suffix = Some("polypay-cli".into());
    Ok(config)
}

/// An entity as one flat object: id and type, then its attributes.
fn entity(raw: &Value) -> Value {
    match raw.get("attributes").and_then(Value::as_object) {
        Some(attributes) => {
            let mut flat = Map::new();
            flat.insert("id".into(), raw["id"].clone());
            flat.insert("type".into(), raw["type"].clone());
            flat.extend(attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Object(flat)
        }
        None => raw.clone(),
    }
}

fn single<T>(response: Response<T>, raw: impl Fn(&T) -> &Value) -> Value {
    entity(raw(&response.data))
}

/// Runs the operation; prints results on stdout and returns the error, if any.
pub fn run(args: ApiArgs) -> Result<(), Error> {
    let mut config = config_from_env()?;
    if let Some(seconds) = args.timeout {
        if !(seconds > 0.0 && seconds.is_finite()) {
            return Err(Error::invalid(
                "timeout",
                "invalid_timeout",
                "must be a positive number of seconds",
            ));
        }
        config.deadline = Duration::from_secs_f64(seconds);
    }
    let client = BlockingClient::new(config)?;
    let body = || -> Result<Map<String, Value>, Error> {
        let text = args.body.as_deref().ok_or_else(|| {
            Error::invalid("--json", "missing", "this operation needs --json BODY")
        })?;
        polypay::json::parse_object(text.as_bytes(), "--json")
    };
    let id = || {
        args.id
            .as_deref()
            .ok_or_else(|| Error::invalid("--id", "missing", "this operation needs --id"))
    };
    let reference = || {
        args.reference_id.as_deref().ok_or_else(|| {
            Error::invalid(
                "--reference-id",
                "missing",
                "this operation needs --reference-id",
            )
        })
    };
    let list = ListOptions {
        reference_id: args.reference_id.clone(),
        page_size: args.page_size,
    };
    use Operation::*;
    let result = match args.operation {
        PaymentPrerequest => raw_of(
            client.payment_prerequest(&PrerequestRequest::from_json(&body()?)?)?,
            |p| &p.raw,
        ),
        PayoutPrerequest => raw_of(
            client.payout_prerequest(&PrerequestRequest::from_json(&body()?)?)?,
            |p| &p.raw,
        ),
        CreatePaymentInvoicePublic => single(
            client.create_payment_invoice_public(&PaymentInvoiceRequest::from_json(&body()?)?)?,
            |i| &i.raw,
        ),
        GetPaymentInvoicePublic => single(client.get_payment_invoice_public(id()?)?, |i| &i.raw),
        GetPayoutInvoicePublic => single(client.get_payout_invoice_public(id()?)?, |i| &i.raw),
        CreatePaymentInvoice => single(
            client.create_payment_invoice(&PaymentInvoiceRequest::from_json(&body()?)?)?,
            |i| &i.raw,
        ),
        GetPaymentInvoice => single(client.get_payment_invoice(id()?)?, |i| &i.raw),
        FindPaymentInvoice => client
            .find_payment_invoice(reference()?)?
            .map_or(Value::Null, |i| entity(&i.raw)),
        RefundPaymentInvoice => single(
            client.refund_payment_invoice(id()?, &RefundRequest::from_json(&body()?)?)?,
            |r| &r.raw,
        ),
        CreatePayoutInvoice => single(
            client.create_payout_invoice(&PayoutInvoiceRequest::from_json(&body()?)?)?,
            |i| &i.raw,
        ),
        GetPayoutInvoice => single(client.get_payout_invoice(id()?)?, |i| &i.raw),
        FindPayoutInvoice => client
            .find_payout_invoice(reference()?)?
            .map_or(Value::Null, |i| entity(&i.raw)),
        GetPaymentService => single(client.get_payment_service(id()?)?, |s| &s.raw),
        Balances => single(client.balances()?, |b| &b.raw),
        ListPaymentInvoices => {
            return print_list(
                client
                    .list_payment_invoices(&list)
                    .map(|r| r.map(|i| i.raw)),
                args.limit,
            )
        }
        ListPayoutInvoices => {
            return print_list(
                client.list_payout_invoices(&list).map(|r| r.map(|i| i.raw)),
                args.limit,
            )
        }
        ListPaymentServices => {
            return print_list(
                client
                    .list_payment_services(args.page_size)
                    .map(|r| r.map(|s| s.raw)),
                args.limit,
            )
        }
    };
    print_line(&result.to_string());
    Ok(())
}

fn raw_of<T>(response: Response<T>, raw: impl Fn(&T) -> &Value) -> Value {
    raw(&response.data).clone()
}

/// Streams a JSON array: items appear as pages arrive.
fn print_list(
    items: impl Iterator<Item = Result<Value, Error>>,
    limit: Option<usize>,
) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(b"[");
    for (count, item) in items.take(limit.unwrap_or(usize::MAX)).enumerate() {
        let item = match item {
            Ok(item) => item,
            Err(error) => {
                let _ = stdout.write_all(b"]\n");
                return Err(error);
            }
        };
        let separator: &[u8] = if count == 0 { b"\n" } else { b",\n" };
        let _ = stdout.write_all(separator);
        let _ = stdout.write_all(entity(&item).to_string().as_bytes());
    }
    let _ = stdout.write_all(b"\n]\n");
    let _ = stdout.flush();
    Ok(())
}

fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}
