//! `polypay ecommpay api <operation>`: every ecommpay Gate call from the command line.

use crate::input::{self, Body, SecretFile};
use crate::ECOMMPAY_SECRET;
use clap::{Args, ValueEnum};
use polypay::ecommpay::{
    GateAccepted, GateApi, GateOperation, GateOptions, GateOutcome, GateRequest,
};
use polypay::paycore::client::timeout_from_secs;
use polypay::Error;
use serde_json::{json, Value};

pub const HELP: &str = "\
Configuration comes from the environment: POLYPAY_ECOMMPAY_PROJECT_ID, the secret
POLYPAY_ECOMMPAY_SECRET (or --secret-file FILE; never on the command line), and
POLYPAY_ECOMMPAY_BASE_URL (default https://api.ecommpay.com; `polypay sandbox` in tests).

BODY is the documented request body without general.project_id and general.signature, which
are added: --json @FILE, --json - (stdin), or inline, e.g.
  --json '{\"general\": {\"payment_id\": \"order-1\"}, \"payment\": {\"amount\": 500, \"currency\": \"USD\"}}'
payment-status also takes --payment-id, request-status --request-id.

Success: the accepted request ({operation, payment_id, request_id, ..., reconciled}) or the
verified status answer as JSON on stdout; with --wait, a write waits for its final status and
prints that. Failure: one JSON object on stderr, with the exit codes of `polypay paycore api`.";

macro_rules! cli_gate_operations {
    ($( $(#[$doc:meta])* $variant:ident $name:ident: $semantics:ident $path:literal -> $output:ident; )*) => {
        /// A Gate operation of the core's table, in kebab-case.
        #[derive(Clone, Copy, ValueEnum)]
        pub enum GateCommand {
            $( $(#[$doc])* $variant, )*
        }

        impl From<GateCommand> for GateOperation {
            fn from(command: GateCommand) -> GateOperation {
                match command {
                    $( GateCommand::$variant => GateOperation::$variant, )*
                }
            }
        }
    };
}

polypay::ecommpay_gate_operations!(cli_gate_operations);

#[derive(Args)]
pub struct GateArgs {
    operation: GateCommand,
    /// The request body as a JSON object: @FILE, - for stdin, or inline (non-secret data)
    #[arg(long = "json", value_name = "@FILE|-|JSON", value_parser = input::body)]
    body: Option<Body>,
    /// The payment (payment-status)
    #[arg(long)]
    payment_id: Option<String>,
    /// The request (request-status)
    #[arg(long)]
    request_id: Option<String>,
    /// The endpoint's payment method, e.g. applepay or wallet/paypal [default: card]
    #[arg(long)]
    method: Option<String>,
    /// Read the project's secret key from FILE (- for stdin; one trailing newline is stripped)
    /// [default: the environment variable POLYPAY_ECOMMPAY_SECRET]
    #[arg(long, value_name = "FILE", value_parser = input::secret_file)]
    secret_file: Option<SecretFile>,
    /// Overall deadline of the call in seconds, retries and waiting included
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    timeout: Option<f64>,
    /// Seconds to wait after a request before asking its status [default: 10, as documented]
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    status_delay: Option<f64>,
    /// After an accepted write, wait for the final status and print it
    #[arg(long)]
    wait: bool,
}

fn accepted_json(accepted: &GateAccepted) -> Value {
    json!({
        "operation": accepted.operation.as_str(),
        "payment_id": accepted.payment_id,
        "request_id": accepted.request_id,
        "project_id": accepted.project_id,
        "merchant_refund_id": accepted.merchant_refund_id,
        "reconciled": accepted.reconciled,
    })
}

/// Runs the operation; prints the result on stdout and returns the error, if any.
pub fn run(args: GateArgs) -> Result<(), Error> {
    input::one_stdin_reader(&[
        (
            ECOMMPAY_SECRET.flag,
            args.secret_file == Some(SecretFile::Stdin),
        ),
        ("--json", args.body == Some(Body::Stdin)),
    ])?;
    let operation = GateOperation::from(args.operation);
    let mut body = match &args.body {
        Some(body) => polypay::json::parse_object(&body.read("--json")?, &body.label("--json"))?,
        None => serde_json::Map::new(),
    };
    if let Some(id) = args.payment_id {
        body.insert("general".into(), json!({ "payment_id": id }));
    }
    if let Some(id) = args.request_id {
        body.insert("request_id".into(), json!(id));
    }
    let project_id = std::env::var("POLYPAY_ECOMMPAY_PROJECT_ID")
        .ok()
        .and_then(|id| id.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            Error::configuration(
                "missing_project_id",
                "POLYPAY_ECOMMPAY_PROJECT_ID must hold the project's id (an integer)",
            )
            .with_argument("POLYPAY_ECOMMPAY_PROJECT_ID")
        })?;
    let secret = ECOMMPAY_SECRET
        .resolve(args.secret_file.as_ref(), true)?
        .expect("a required secret is there");
    let seconds =
        |value: Option<f64>, name: &str| value.map(|s| timeout_from_secs(s, name)).transpose();
    let options = GateOptions {
        base_url: std::env::var("POLYPAY_ECOMMPAY_BASE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        timeout: seconds(args.timeout, "--timeout")?,
        status_delay: args
            .status_delay
            .map(polypay::ecommpay::status_delay_from_secs)
            .transpose()
            .map_err(|e| e.with_argument("--status-delay"))?,
        user_agent: Some("polypay-cli".into()),
        ..GateOptions::default()
    };
    let gate =
        GateApi::new(project_id, secret.expose(), options).map_err(|e| match e.argument() {
            Some("secret_key") => e.with_argument(secret.origin()),
            _ => e,
        })?;
    let request = GateRequest {
        body,
        method: args.method,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::configuration("runtime", format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(async {
        match gate.execute(operation, request).await? {
            GateOutcome::Accepted(accepted) if args.wait => {
                let payment = gate.wait_for_result(&accepted).await?;
                Ok(Value::Object(payment.raw().clone()))
            }
            GateOutcome::Accepted(accepted) => Ok(accepted_json(&accepted)),
            GateOutcome::Payment(payment) => Ok(Value::Object(payment.raw().clone())),
        }
    })?;
    println!("{result}");
    Ok(())
}
