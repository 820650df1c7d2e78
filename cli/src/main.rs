//! `polypay`: sign, verify and build payment links from the command line.
//!
//! Exit codes: 0 success (or a valid signature), 1 a signature that does not verify,
//! 2 unusable input (bad JSON, too large, too deep, bad or missing secret, bad parameters).
//!
//! Secrets never come from the command line (visible in `ps` and shell history): they come
//! from the environment or from `--secret-file FILE` (`-`: stdin, the body then from a file).

mod api;
mod gate;
mod input;

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use input::{Body, Secret, SecretFile, SecretSource};
use polypay::ecommpay;
use polypay::json;
use polypay::paycore::{self, CallbackEvent, Environment, HppParams};
use polypay::{Error, ErrorKind};
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "polypay",
    version,
    about = "Sign, verify and build payment links (ecommpay, PayCore.io/Paymega)"
)]
#[command(after_help = "\
Bodies come from stdin by default, or from --json @FILE (--body @FILE for raw bytes); - is stdin.
At most 10 MB.

Secrets never go on the command line (ps and shell history show it): export
POLYPAY_ECOMMPAY_SECRET / POLYPAY_SECRET_KEY from your secrets manager, or pass --secret-file FILE
(one trailing newline is stripped; --secret-file - reads it from stdin, the body then from --json @FILE).

Exit codes: 0 ok, 1 invalid signature, 2 unusable input (including a missing or empty secret).")]
struct Cli {
    #[command(subcommand)]
    gateway: Gateway,
}

#[derive(Subcommand)]
enum Gateway {
    /// ecommpay Payment Page: signatures, signed URLs, callbacks
    #[command(subcommand)]
    Ecommpay(EcommpayCommand),
    /// PayCore.io / Paymega: X-Signature callbacks, Hosted Payment Page links and forms
    #[command(subcommand)]
    Paycore(PaycoreCommand),
    /// Run the local PayCore/Paymega gateway and ecommpay Payment Page (see sandbox/README.md)
    Sandbox(polypay_sandbox::SandboxCli),
}

const ECOMMPAY_SECRET: SecretSource = SecretSource {
    flag: "--secret-file",
    env: "POLYPAY_ECOMMPAY_SECRET",
    what: "the project's secret key",
};

const PAYCORE_SECRET: SecretSource = SecretSource {
    flag: "--secret-file",
    env: "POLYPAY_SECRET_KEY",
    what: "the commerce account's secret key (sk_…)",
};

#[derive(Args)]
struct EcommpaySecret {
    /// Read the project's secret key from FILE (- for stdin; one trailing newline is stripped)
    /// [default: the environment variable POLYPAY_ECOMMPAY_SECRET]
    #[arg(long, value_name = "FILE", value_parser = input::secret_file)]
    secret_file: Option<SecretFile>,
}

#[derive(Args)]
struct PaycoreSecret {
    /// Read the commerce account's secret key (sk_…) from FILE (- for stdin; one trailing newline
    /// is stripped) [default: the environment variable POLYPAY_SECRET_KEY]
    #[arg(long, value_name = "FILE", value_parser = input::secret_file)]
    secret_file: Option<SecretFile>,
}

#[derive(Args)]
struct JsonBody {
    /// The JSON object: @FILE, - for stdin, or the JSON itself (non-secret data only)
    #[arg(long = "json", value_name = "@FILE|-|JSON", default_value = "-", value_parser = input::body)]
    json: Body,
}

#[derive(Args)]
struct RawBody {
    /// The raw bytes, signed exactly as read: @FILE, - for stdin, or the text itself
    #[arg(long = "body", alias = "json", value_name = "@FILE|-|TEXT", default_value = "-", value_parser = input::body)]
    body: Body,
}

#[derive(Subcommand)]
enum EcommpayCommand {
    /// Call the Gate API (payment status, refunds, capture, cancel, payouts, COF charges)
    #[command(after_help = gate::HELP)]
    Api(gate::GateArgs),
    /// Sign a JSON object of parameters (key order kept); prints the signature
    Sign {
        #[command(flatten)]
        secret: EcommpaySecret,
        #[command(flatten)]
        body: JsonBody,
        /// Also print the string to sign on stderr
        #[arg(long)]
        explain: bool,
    },
    /// Verify a raw callback body: exit 0 valid, 1 invalid, 2 unusable input
    Verify {
        #[command(flatten)]
        secret: EcommpaySecret,
        #[command(flatten)]
        body: JsonBody,
    },
    /// Build the signed Payment Page URL for a JSON object of parameters, adding nothing
    Url {
        #[command(flatten)]
        secret: EcommpaySecret,
        #[command(flatten)]
        body: JsonBody,
        /// Payment Page base URL (`/payment` is appended)
        #[arg(long, default_value = ecommpay::DEFAULT_BASE_URL)]
        base_url: String,
    },
}

#[derive(Args)]
struct Deployment {
    /// Named deployment
    #[arg(long, value_enum, default_value_t = Env::Paycore, conflicts_with = "base_url")]
    env: Env,
    /// Any other deployment (white label, sandbox), e.g. https://pay.example.com
    #[arg(long)]
    base_url: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Env {
    Paycore,
    Paymega,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormFormat {
    Html,
    Json,
}

#[derive(Subcommand)]
enum PaycoreCommand {
    /// Call the Commerce API (every Public and Private operation)
    #[command(after_help = api::EXIT_CODES)]
    Api(api::ApiArgs),
    /// Compute the X-Signature of raw bytes (a callback body)
    Sign {
        #[command(flatten)]
        secret: PaycoreSecret,
        #[command(flatten)]
        body: RawBody,
    },
    /// Verify a raw body against an X-Signature: exit 0 valid, 1 invalid, 2 unusable input
    Verify {
        #[command(flatten)]
        secret: PaycoreSecret,
        #[command(flatten)]
        body: RawBody,
        /// The X-Signature header value
        #[arg(long)]
        signature: String,
    },
    /// Build a Hosted Payment Page link from a JSON object of parameters
    HppUrl {
        #[command(flatten)]
        deployment: Deployment,
        #[command(flatten)]
        body: JsonBody,
    },
    /// Build the auto-redirect payment form from a JSON object of parameters
    HppForm {
        #[command(flatten)]
        deployment: Deployment,
        #[command(flatten)]
        body: JsonBody,
        /// `html` markup, or the form as `json` data (action, method, fields)
        #[arg(long, value_enum, default_value_t = FormFormat::Html)]
        format: FormFormat,
        /// Label of the submit button in the HTML
        #[arg(long, default_value = "Pay")]
        button: String,
    },
}

/// Why a command did not succeed, and with which exit code.
enum Failure {
    Invalid(Error),
    Unusable(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error.kind() {
            ErrorKind::Signature => Failure::Invalid(error),
            _ => Failure::Unusable(error),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let gateway = match cli.gateway {
        Gateway::Sandbox(sandbox) => return run_sandbox(sandbox),
        Gateway::Paycore(PaycoreCommand::Api(args)) => {
            return match api::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("{}", api::error_json(&error));
                    ExitCode::from(api::exit_code(error.kind()))
                }
            };
        }
        Gateway::Ecommpay(EcommpayCommand::Api(args)) => {
            return match gate::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("{}", api::error_json(&error));
                    ExitCode::from(api::exit_code(error.kind()))
                }
            };
        }
        gateway => gateway,
    };
    match run(gateway) {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = stdout
                .write_all(output.as_bytes())
                .and_then(|_| stdout.flush());
            ExitCode::SUCCESS
        }
        Err(Failure::Invalid(error)) => {
            eprintln!("invalid signature ({}): {error}", error.code());
            ExitCode::from(1)
        }
        Err(Failure::Unusable(error)) => {
            eprintln!("polypay: {}", error.to_string().replace('\n', " "));
            ExitCode::from(2)
        }
    }
}

fn run_sandbox(sandbox: polypay_sandbox::SandboxCli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("polypay: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(polypay_sandbox::run_cli(sandbox)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("polypay sandbox: {reason}");
            ExitCode::from(1)
        }
    }
}

/// The secret (first: `--secret-file -` reads stdin), then the body, which cannot also be stdin.
fn secret_and_body(
    source: SecretSource,
    file: Option<&SecretFile>,
    body: &Body,
    body_flag: &str,
) -> Result<(Secret, Vec<u8>), Error> {
    input::one_stdin_reader(&[
        (source.flag, file == Some(&SecretFile::Stdin)),
        (body_flag, *body == Body::Stdin),
    ])?;
    let secret = source
        .resolve(file, true)?
        .expect("a required secret is there");
    Ok((secret, body.read(body_flag)?))
}

/// The core's complaints about "secret" name where it came from (never its value).
fn about_secret(secret: &Secret) -> impl Fn(Error) -> Error + '_ {
    move |error| match error.argument() {
        Some("secret") => error.with_argument(secret.origin()),
        _ => error,
    }
}

fn run(gateway: Gateway) -> Result<String, Failure> {
    match gateway {
        Gateway::Ecommpay(command) => run_ecommpay(command),
        Gateway::Paycore(command) => run_paycore(command),
        Gateway::Sandbox(_) => unreachable!("handled in main"),
    }
}

fn run_ecommpay(command: EcommpayCommand) -> Result<String, Failure> {
    let inputs = |secret: &EcommpaySecret, body: &JsonBody| {
        secret_and_body(
            ECOMMPAY_SECRET,
            secret.secret_file.as_ref(),
            &body.json,
            "--json",
        )
    };
    match command {
        EcommpayCommand::Api(_) => unreachable!("handled in main"),
        EcommpayCommand::Sign {
            secret,
            body,
            explain,
        } => {
            let (secret, input) = inputs(&secret, &body)?;
            let params = json::parse_object(&input, &body.json.label("--json"))?;
            if explain {
                eprintln!("{}", ecommpay::string_to_sign(&params)?);
            }
            let signature =
                ecommpay::sign(&params, secret.expose()).map_err(about_secret(&secret))?;
            Ok(line(signature))
        }
        EcommpayCommand::Verify { secret, body } => {
            let (secret, input) = inputs(&secret, &body)?;
            let callback = ecommpay::verify_callback(&input, secret.expose())
                .map_err(about_secret(&secret))?;
            let summary = json!({
                "valid": true,
                "payment_id": callback.payment_id(),
                "payment_status": callback.payment_status().map(|s| s.to_string()),
                "operation_status": callback.operation().and_then(|o| o.status).map(|s| s.to_string()),
            });
            Ok(line(summary.to_string()))
        }
        EcommpayCommand::Url {
            secret,
            body,
            base_url,
        } => {
            let (secret, input) = inputs(&secret, &body)?;
            let params = json::parse_object(&input, &body.json.label("--json"))?;
            let url = ecommpay::payment_page_url(&params, secret.expose(), Some(&base_url))
                .map_err(about_secret(&secret))?;
            Ok(line(url))
        }
    }
}

fn run_paycore(command: PaycoreCommand) -> Result<String, Failure> {
    let inputs = |secret: &PaycoreSecret, body: &RawBody| {
        secret_and_body(
            PAYCORE_SECRET,
            secret.secret_file.as_ref(),
            &body.body,
            "--body",
        )
    };
    match command {
        PaycoreCommand::Api(_) => unreachable!("handled in main"),
        PaycoreCommand::Sign { secret, body } => {
            let (secret, input) = inputs(&secret, &body)?;
            let signature =
                paycore::sign_callback(&input, secret.expose()).map_err(about_secret(&secret))?;
            Ok(line(signature))
        }
        PaycoreCommand::Verify {
            secret,
            body,
            signature,
        } => {
            let (secret, input) = inputs(&secret, &body)?;
            paycore::verify_callback(&input, &signature, secret.expose())
                .map_err(about_secret(&secret))?;
            // The bytes verified; describe the event when they are a callback document.
            let summary = match CallbackEvent::parse_unverified(&input) {
                Ok(event) => json!({
                    "valid": true,
                    "type": event.event_type(),
                    "id": event.id(),
                    "status": event.status(),
                    "is_final": event.is_final(),
                    "is_success": event.is_success(),
                }),
                Err(_) => json!({ "valid": true }),
            };
            Ok(line(summary.to_string()))
        }
        PaycoreCommand::HppUrl { deployment, body } => {
            let params = hpp_params(&body)?;
            Ok(line(params.url(&environment(&deployment)?)?))
        }
        PaycoreCommand::HppForm {
            deployment,
            body,
            format,
            button,
        } => {
            let form = hpp_params(&body)?.form(&environment(&deployment)?)?;
            Ok(match format {
                FormFormat::Html => form.to_html(&button),
                FormFormat::Json => {
                    let fields: Vec<Value> = form
                        .fields
                        .iter()
                        .map(|(name, value)| json!([name, value]))
                        .collect();
                    let data =
                        json!({"action": form.action, "method": form.method, "fields": fields});
                    line(serde_json::to_string_pretty(&data).expect("plain JSON"))
                }
            })
        }
    }
}

fn hpp_params(body: &JsonBody) -> Result<HppParams, Failure> {
    let input = body.json.read("--json")?;
    Ok(HppParams::from_json(&json::parse_object(
        &input,
        &body.json.label("--json"),
    )?)?)
}

fn environment(deployment: &Deployment) -> Result<Environment, Failure> {
    let env = match deployment.env {
        Env::Paycore => "paycore",
        Env::Paymega => "paymega",
    };
    Ok(Environment::resolve(
        Some(env),
        deployment.base_url.as_deref(),
    )?)
}

fn line(text: String) -> String {
    text + "\n"
}
