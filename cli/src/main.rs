//! `polypay`: sign, verify and build payment links from the command line.
//!
//! Exit codes: 0 success (or a valid signature), 1 a signature that does not verify,
//! 2 unusable input (bad JSON, too large, too deep, bad secret, bad parameters).

mod api;

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use polypay::ecommpay;
use polypay::json::{self, MAX_INPUT_BYTES};
use polypay::paycore::{self, CallbackEvent, Environment, HppParams};
use polypay::{Error, ErrorKind};
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "polypay",
    version,
    about = "Sign, verify and build payment links (ecommpay, PayCore.io/Paymega)"
)]
#[command(
    after_help = "Input is read from stdin (at most 10 MB). Exit codes: 0 ok, 1 invalid signature, 2 unusable input."
)]
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

#[derive(Args)]
struct EcommpaySecret {
    /// The project's secret key
    #[arg(long, env = "POLYPAY_ECOMMPAY_SECRET", hide_env_values = true)]
    secret: String,
}

#[derive(Subcommand)]
enum EcommpayCommand {
    /// Sign a JSON object of parameters (stdin, key order kept); prints the signature
    Sign {
        #[command(flatten)]
        secret: EcommpaySecret,
        /// Also print the string to sign on stderr
        #[arg(long)]
        explain: bool,
    },
    /// Verify a raw callback body (stdin): exit 0 valid, 1 invalid, 2 unusable input
    Verify {
        #[command(flatten)]
        secret: EcommpaySecret,
    },
    /// Build the signed Payment Page URL for a JSON object of parameters (stdin), adding nothing
    Url {
        #[command(flatten)]
        secret: EcommpaySecret,
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
    /// Compute the X-Signature of the raw bytes on stdin
    Sign {
        /// The commerce account's secret key (sk_…)
        #[arg(long, env = "POLYPAY_SECRET_KEY", hide_env_values = true)]
        secret: String,
    },
    /// Verify the raw body on stdin against an X-Signature: exit 0 valid, 1 invalid, 2 unusable input
    Verify {
        #[arg(long, env = "POLYPAY_SECRET_KEY", hide_env_values = true)]
        secret: String,
        /// The X-Signature header value
        #[arg(long)]
        signature: String,
    },
    /// Build a Hosted Payment Page link from a JSON object of parameters (stdin)
    HppUrl {
        #[command(flatten)]
        deployment: Deployment,
    },
    /// Build the auto-redirect payment form from a JSON object of parameters (stdin)
    HppForm {
        #[command(flatten)]
        deployment: Deployment,
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
    Unusable(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error.kind() {
            ErrorKind::Signature => Failure::Invalid(error),
            _ => Failure::Unusable(error.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Gateway::Sandbox(sandbox) = cli.gateway {
        return run_sandbox(sandbox);
    }
    if let Gateway::Paycore(PaycoreCommand::Api(args)) = cli.gateway {
        return match api::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{}", api::error_json(&error));
                ExitCode::from(api::exit_code(error.kind()))
            }
        };
    }
    let outcome = read_stdin().and_then(|input| run(cli.gateway, &input));
    match outcome {
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
        Err(Failure::Unusable(reason)) => {
            eprintln!("polypay: {}", reason.replace('\n', " "));
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

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut input = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut input)
        .map_err(|e| Failure::Unusable(format!("cannot read stdin: {e}")))?;
    if input.len() > MAX_INPUT_BYTES {
        return Err(Failure::Unusable(format!(
            "input is larger than the {} MB limit",
            MAX_INPUT_BYTES / (1024 * 1024)
        )));
    }
    Ok(input)
}

fn run(gateway: Gateway, input: &[u8]) -> Result<String, Failure> {
    match gateway {
        Gateway::Ecommpay(command) => run_ecommpay(command, input),
        Gateway::Paycore(command) => run_paycore(command, input),
        Gateway::Sandbox(_) => unreachable!("handled before stdin is read"),
    }
}

fn run_ecommpay(command: EcommpayCommand, input: &[u8]) -> Result<String, Failure> {
    match command {
        EcommpayCommand::Sign { secret, explain } => {
            let params = json::parse_object(input, "stdin")?;
            if explain {
                eprintln!("{}", ecommpay::string_to_sign(&params)?);
            }
            Ok(line(ecommpay::sign(&params, &secret.secret)?))
        }
        EcommpayCommand::Verify { secret } => {
            let callback = ecommpay::verify_callback(input, &secret.secret)?;
            let summary = json!({
                "valid": true,
                "payment_id": callback.payment_id(),
                "payment_status": callback.payment_status().map(|s| s.to_string()),
                "operation_status": callback.operation().and_then(|o| o.status).map(|s| s.to_string()),
            });
            Ok(line(summary.to_string()))
        }
        EcommpayCommand::Url { secret, base_url } => {
            let params = json::parse_object(input, "stdin")?;
            Ok(line(ecommpay::payment_page_url(
                &params,
                &secret.secret,
                Some(&base_url),
            )?))
        }
    }
}

fn run_paycore(command: PaycoreCommand, input: &[u8]) -> Result<String, Failure> {
    match command {
        PaycoreCommand::Api(_) => unreachable!("handled before stdin is read"),
        PaycoreCommand::Sign { secret } => Ok(line(paycore::sign_callback(input, &secret)?)),
        PaycoreCommand::Verify { secret, signature } => {
            paycore::verify_callback(input, &signature, &secret)?;
            // The bytes verified; describe the event when they are a callback document.
            let summary = match CallbackEvent::parse_unverified(input) {
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
        PaycoreCommand::HppUrl { deployment } => {
            let params = hpp_params(input)?;
            Ok(line(params.url(&environment(&deployment)?)?))
        }
        PaycoreCommand::HppForm {
            deployment,
            format,
            button,
        } => {
            let form = hpp_params(input)?.form(&environment(&deployment)?)?;
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

fn hpp_params(input: &[u8]) -> Result<HppParams, Failure> {
    Ok(HppParams::from_json(&json::parse_object(input, "stdin")?)?)
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
