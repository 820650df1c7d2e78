//! `polypay paycore api <operation>`: every Commerce API call from the command line.

use std::io::Write;

use crate::input::{self, Body, SecretFile, SecretSource};
// The same key, from the same places, as `paycore sign|verify` take it.
use crate::PAYCORE_SECRET as SECRET_KEY;
use clap::{Args, ValueEnum};
use polypay::paycore::client::{
    timeout_from_secs, Arguments, Config, Input, Operation, OperationName, Outcome, Secret,
    Semantics,
};
use polypay::paycore::{BlockingClient, Environment};
use polypay::{Error, ErrorKind};
use serde_json::{json, Map, Value};

pub const EXIT_CODES: &str = "\
Configuration comes from the environment: POLYPAY_BASE_URL (or POLYPAY_ENV=paycore|paymega),
POLYPAY_PUBLIC_KEY, POLYPAY_ACCOUNT_ID, and the secrets POLYPAY_API_KEY and POLYPAY_SECRET_KEY
(export them from your secrets manager), or --api-key-file FILE / --secret-file FILE. Secrets
never go on the command line: ps and shell history show it.

BODY is the operation's fields as one flat JSON object: --json @FILE, --json - (stdin), or inline
(non-secret data only), e.g.
  --json '{\"reference_id\": \"r1\", \"amount\": \"100.55\", \"currency\": \"USD\", \"service\": \"payment_card_usd_hpp\"}'
(the JSON:API document is built for you; a reference_id is generated when missing; at most 10 MB).

Success: the result as JSON on stdout (lists: a JSON array of every item across all pages), exit 0.
Failure: one JSON object on stderr {kind, code, http_status, request_id, outcome_unknown, retryable,
reference_id, payment_id, message, fields} and an exit code per kind:
   2 invalid_input        3 configuration       4 authentication      5 permission
   6 not_found            7 method_not_allowed  8 conflict            9 validation
  10 rate_limited        11 server             12 timeout            13 connection
  14 decode              15 signature";

const API_KEY: SecretSource = SecretSource {
    flag: "--api-key-file",
    env: "POLYPAY_API_KEY",
    what: "the Private API key",
};

macro_rules! cli_operations {
    ($( $(#[$doc:meta])* $variant:ident $name:ident: $access:ident $semantics:ident ($input:ident) -> $output:ident; )*) => {
        /// An operation of the core's table, in kebab-case.
        #[derive(Clone, Copy, ValueEnum)]
        pub enum ApiOperation {
            $( $(#[$doc])* $variant, )*
        }

        impl From<ApiOperation> for OperationName {
            fn from(operation: ApiOperation) -> OperationName {
                match operation {
                    $( ApiOperation::$variant => OperationName::$variant, )*
                }
            }
        }
    };
}

polypay::paycore_operations!(cli_operations);

#[derive(Args)]
pub struct ApiArgs {
    operation: ApiOperation,
    /// The request fields as a flat JSON object: @FILE, - for stdin, or inline (non-secret data)
    #[arg(long = "json", value_name = "@FILE|-|JSON", value_parser = input::body)]
    body: Option<Body>,
    /// Read the Private API key from FILE (- for stdin; one trailing newline is stripped)
    /// [default: the environment variable POLYPAY_API_KEY]
    #[arg(long, value_name = "FILE", value_parser = input::secret_file)]
    api_key_file: Option<SecretFile>,
    /// Read the secret key (sk_…) from FILE (- for stdin; one trailing newline is stripped)
    /// [default: the environment variable POLYPAY_SECRET_KEY]
    #[arg(long, value_name = "FILE", value_parser = input::secret_file)]
    secret_file: Option<SecretFile>,
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
    /// Overall deadline of the call in seconds, retries included (more than 0, at most 86400)
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
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
        "payment_id": error.payment_id(),
        "retry_after": error.retry_after().map(|d| d.as_secs_f64()),
        "argument": error.argument(),
        "message": error.to_string(),
        "fields": fields,
    })
}

/// The configuration from the environment, with the secrets from their files when given.
fn config(args: &ApiArgs) -> Result<(Config, Origins), Error> {
    let deadline = args
        .timeout
        .map(|seconds| timeout_from_secs(seconds, "--timeout"))
        .transpose()?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let environment = Environment::resolve(
        var("POLYPAY_ENV").as_deref(),
        var("POLYPAY_BASE_URL").as_deref(),
    )?;
    let api_key = API_KEY.resolve(args.api_key_file.as_ref(), false)?;
    let secret_key = SECRET_KEY.resolve(args.secret_file.as_ref(), false)?;
    let origins = Origins {
        api_key: api_key.as_ref().map(|key| key.origin()),
        secret_key: secret_key.as_ref().map(|key| key.origin()),
    };
    let mut config = Config::new(environment);
    config.public_key = var("POLYPAY_PUBLIC_KEY");
    config.account_id = var("POLYPAY_ACCOUNT_ID");
    config.api_key = api_key.map(|key| Secret::new(key.into_value()));
    config.secret_key = secret_key.map(|key| Secret::new(key.into_value()));
    config.user_agent_suffix = Some("polypay-cli".into());
    if let Some(deadline) = deadline {
        config.deadline = deadline;
    }
    Ok((config, origins))
}

/// Where the configured secrets came from: errors about them name the variable or the flag.
struct Origins {
    api_key: Option<&'static str>,
    secret_key: Option<&'static str>,
}

impl Origins {
    fn relabel(&self, error: Error) -> Error {
        let origin = match error.argument() {
            Some("api_key") => self.api_key,
            Some("secret_key") => self.secret_key,
            _ => None,
        };
        match origin {
            Some(origin) => error.with_argument(origin),
            None => error,
        }
    }
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

/// The flag that gives an argument of the core's operations.
fn flag(argument: &str) -> Option<&'static str> {
    Some(match argument {
        "id" => "--id",
        "reference_id" => "--reference-id",
        "fields" => "--json",
        "page_size" => "--page-size",
        _ => return None,
    })
}

/// Runs the operation; prints results on stdout and returns the error, if any.
pub fn run(args: ApiArgs) -> Result<(), Error> {
    input::one_stdin_reader(&[
        (API_KEY.flag, args.api_key_file == Some(SecretFile::Stdin)),
        (SECRET_KEY.flag, args.secret_file == Some(SecretFile::Stdin)),
        ("--json", args.body == Some(Body::Stdin)),
    ])?;
    let (config, origins) = config(&args)?;
    let name = OperationName::from(args.operation);
    // Read before any request: a missing file fails the call before it starts.
    let fields = match (&args.body, name.input()) {
        (Some(body), Input::Fields | Input::IdFields) => Some(polypay::json::parse_object(
            &body.read("--json")?,
            &body.label("--json"),
        )?),
        _ => None,
    };
    let arguments = Arguments {
        id: args.id,
        reference_id: args.reference_id,
        fields,
        page_size: args.page_size,
    };
    let operation =
        Operation::new(name, arguments).map_err(|error| match error.argument().and_then(flag) {
            Some(flag) => error.with_argument(flag),
            None => error,
        })?;
    let client = BlockingClient::new(config).map_err(|e| origins.relabel(e))?;
    if name.semantics() == Semantics::List {
        let items = client
            .pager(&operation)?
            .map(|r| r.map(|i| i.raw().clone()));
        return print_list(items, args.limit);
    }
    let result = match client.execute(&operation)? {
        // A pre-request answers a document, not an entity.
        Outcome::Prerequest(prerequest) => prerequest.data.raw,
        outcome => outcome.raw().map_or(Value::Null, entity),
    };
    print_line(&result.to_string());
    Ok(())
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
