//! # polypay-sandbox
//!
//! A local, faithful PayCore.io/Paymega "Commerce" gateway and ecommpay Payment Page, for tests,
//! demos and merchants' development machines:
//!
//! - the public (`/public-api`) and private (`/api`, Basic auth, JSON:API) Commerce APIs with
//!   the documented shapes, errors, validation and pagination;
//! - a state machine per invoice with signed callbacks (`X-Signature`), retried on the
//!   documented linear schedule (scaled by `time_scale`);
//! - the Hosted Payment Page and card step (test cards, 3-D Secure confirmation);
//! - the ecommpay Payment Page with signature checking and signed callbacks;
//! - fault injection and an admin API under `/__sandbox/`.
//!
//! In-process use (tests):
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use polypay_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("{}", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## Layers
//!
//! Lowest first; a module uses only the modules listed before it (checked by a test):
//!
//! 1. `util`: clock, seeded ids, JSON and form helpers.
//! 2. `faults`, `config`: fault rules and the configuration that may hold some.
//! 3. `services`, `accounts`, `model`, `cards`: catalogues, accounts and their lookup,
//!    invoices and refunds with their JSON shapes, the test cards.
//! 4. `validate`: create requests checked against an account.
//! 5. `callbacks`: the deliverer of signed callbacks, with its retry schedule.
//! 6. `store`, `ecommpay_sessions`, `state`: invoices, refunds and balances; Payment Page
//!    sessions; the state machine that changes them and queues their callbacks.
//! 7. `http`, `html`: responses; the pages, from askama templates (`templates/`).
//! 8. `api`, `pages`, `ecommpay`, `admin`, `server`: the routes and the server; then this
//!    file's entry points (`run`, `trigger`, the CLI).

// Handlers return axum `Response`s as errors (early returns with the documented bodies).
#![allow(clippy::result_large_err)]

mod accounts;
mod admin;
mod api;
pub mod callbacks;
mod cards;
pub mod config;
mod ecommpay;
mod ecommpay_sessions;
pub mod faults;
mod gate;
mod html;
mod http;
pub mod model;
mod pages;
mod server;
pub mod services;
pub mod state;
mod store;
mod util;
mod validate;

use std::time::Duration;

use serde_json::{json, Value};

pub use config::{
    AccountConfig, EcommpayProjectConfig, SandboxArgs, SandboxConfig, ServiceConfig, DEFAULT_PORT,
};
pub use server::{RunningSandbox, Sandbox};

/// The README's Rust sample, compiled and run by `cargo test --doc` (tests/samples/run_samples.py
/// accepts ```rust blocks only in files included like this).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use state::State;

/// Runs `polypay sandbox` until Ctrl-C or SIGTERM. With `--print-config`, prints exactly one
/// JSON line on stdout once listening; everything else goes to stderr.
pub async fn run(args: SandboxArgs) -> Result<(), String> {
    let config = args.to_config()?;
    let sandbox = Sandbox::start(config).await?;
    if args.print_config {
        use std::io::Write;
        let line = serde_json::to_string(&sandbox.config_json()).map_err(|e| e.to_string())?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    let c = sandbox.config_json();
    eprintln!(
        "polypay sandbox listening on {} (account {}, Basic auth {}:{}, keys {} / {}; ecommpay project {} at {})",
        sandbox.base_url(),
        c["paycore"]["account_id"].as_str().unwrap_or(""),
        c["paycore"]["account_id"].as_str().unwrap_or(""),
        c["paycore"]["api_key"].as_str().unwrap_or(""),
        c["paycore"]["public_key_test"].as_str().unwrap_or(""),
        c["paycore"]["public_key_live"].as_str().unwrap_or(""),
        c["ecommpay"]["project_id"],
        c["ecommpay"]["payment_page_base_url"].as_str().unwrap_or(""),
    );
    wait_for_signal().await;
    eprintln!("polypay sandbox: shutting down");
    sandbox.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `polypay sandbox trigger <invoice-id> <status>`: forces a status on a running sandbox
/// (admin API) and returns the invoice's JSON:API resource after the change.
pub async fn trigger(base_url: &str, invoice_id: &str, status: &str) -> Result<Value, String> {
    trigger_with(base_url, invoice_id, status, None).await
}

/// A client for a running sandbox's admin API (never through a proxy) and the URL of `path`
/// under `/__sandbox/`.
fn admin(
    base_url: &str,
    path: &[&str],
    timeout: Duration,
) -> Result<(reqwest::Client, url::Url), String> {
    let client = polypay::tls::http_client_builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let mut url = url::Url::parse(base_url).map_err(|e| format!("{base_url}: {e}"))?;
    url.path_segments_mut()
        .map_err(|()| format!("{base_url}: not a base URL"))?
        .pop_if_empty()
        .push("__sandbox")
        .extend(path);
    Ok((client, url))
}

/// [`trigger`] with an explicit resolution.
pub async fn trigger_with(
    base_url: &str,
    invoice_id: &str,
    status: &str,
    resolution: Option<&str>,
) -> Result<Value, String> {
    let (client, url) = admin(
        base_url,
        &["invoices", invoice_id, "status"],
        Duration::from_secs(30),
    )?;
    let mut body = json!({ "status": status });
    if let Some(r) = resolution {
        body["resolution"] = json!(r);
    }
    let response = client
        .post(url.as_str())
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("cannot reach the sandbox at {base_url}: {e}"))?;
    let code = response.status();
    let doc: Value = response
        .json()
        .await
        .map_err(|e| format!("unreadable answer from {url}: {e}"))?;
    if code.is_success() {
        Ok(doc)
    } else {
        Err(format!(
            "{}: {}",
            code,
            doc.get("error")
                .and_then(Value::as_str)
                .unwrap_or("request failed")
        ))
    }
}

/// Flags of `polypay sandbox trigger` (for the CLI to flatten, if it likes).
#[derive(clap::Args, Debug, Clone)]
pub struct TriggerArgs {
    /// The invoice id (cpi_… or cpoi_…)
    pub invoice_id: String,
    /// The status to force, e.g. processed, process_failed, expired
    pub status: String,
    /// Resolution to set (default: ok, or general_decline / expired for failures)
    #[arg(long)]
    pub resolution: Option<String>,
    /// The running sandbox
    #[arg(long, default_value = "http://127.0.0.1:12380")]
    pub base_url: String,
}

/// Runs [`TriggerArgs`]: prints the invoice resource as one JSON line.
pub async fn run_trigger(args: TriggerArgs) -> Result<(), String> {
    let doc = trigger_with(
        &args.base_url,
        &args.invoice_id,
        &args.status,
        args.resolution.as_deref(),
    )
    .await?;
    println!(
        "{}",
        serde_json::to_string(&doc).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Flags of `polypay sandbox env`.
#[derive(clap::Args, Debug, Clone)]
pub struct EnvArgs {
    /// The running sandbox
    #[arg(long, default_value = "http://127.0.0.1:12380")]
    pub base_url: String,
    /// Seconds to wait for it to answer (it may still be starting)
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub wait: f64,
}

/// Runs [`EnvArgs`]: asks the sandbox for its configuration (waiting while it starts) and prints
/// the variables the CLI, the samples and the tests read.
pub async fn run_env(args: EnvArgs) -> Result<(), String> {
    if !(args.wait.is_finite() && (0.0..=3600.0).contains(&args.wait)) {
        return Err(format!("--wait {}: expected 0 to 3600 seconds", args.wait));
    }
    let (client, url) = admin(&args.base_url, &["config"], Duration::from_secs(5))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.wait);
    let config = loop {
        let attempt = async {
            let response = client
                .get(url.as_str())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("{url} answered {}", response.status()));
            }
            response.json::<Value>().await.map_err(|e| e.to_string())
        };
        match attempt.await {
            Ok(config) => break config,
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(format!("no sandbox answered at {}: {e}", args.base_url))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    print!("{}", env_exports(&config));
    Ok(())
}

/// `export NAME='value'` lines (POSIX shell quoting) for a `--print-config` document.
pub fn env_exports(config: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let p = &config["paycore"];
    let e = &config["ecommpay"];
    [
        ("POLYPAY_BASE_URL", &config["base_url"]),
        ("POLYPAY_ACCOUNT_ID", &p["account_id"]),
        ("POLYPAY_API_KEY", &p["api_key"]),
        ("POLYPAY_PUBLIC_KEY", &p["public_key_test"]),
        ("POLYPAY_SECRET_KEY", &p["secret_key_test"]),
        ("POLYPAY_ECOMMPAY_PROJECT_ID", &e["project_id"]),
        ("POLYPAY_ECOMMPAY_SECRET", &e["secret_key"]),
        ("POLYPAY_ECOMMPAY_BASE_URL", &e["gate_base_url"]),
        (
            "POLYPAY_ECOMMPAY_PAYMENT_PAGE_URL",
            &e["payment_page_base_url"],
        ),
    ]
    .iter()
    .map(|(name, value)| format!("export {name}='{}'\n", text(value).replace('\'', "'\\''")))
    .collect()
}

/// `polypay sandbox [flags]` and `polypay sandbox trigger <invoice-id> <status>`, ready to be
/// one variant of the CLI's subcommands: `Sandbox(polypay_sandbox::SandboxCli)`, then
/// `polypay_sandbox::run_cli(cli).await`.
#[derive(clap::Args, Debug, Clone)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxCli {
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,
    #[command(flatten)]
    pub args: SandboxArgs,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum SandboxCommand {
    /// Force a status on an invoice of a running sandbox (and send its callback)
    Trigger(TriggerArgs),
    /// Print `export POLYPAY_…=…` lines for a running sandbox: `eval "$(polypay sandbox env)"`
    Env(EnvArgs),
}

/// Runs the sandbox, or the `trigger` subcommand.
pub async fn run_cli(cli: SandboxCli) -> Result<(), String> {
    match cli.command {
        Some(SandboxCommand::Trigger(args)) => run_trigger(args).await,
        Some(SandboxCommand::Env(args)) => run_env(args).await,
        None => run(cli.args).await,
    }
}

#[cfg(test)]
mod cli_tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Top {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(clap::Subcommand)]
    enum Command {
        Sandbox(super::SandboxCli),
    }

    fn parse(args: &[&str]) -> super::SandboxCli {
        let Command::Sandbox(cli) = Top::try_parse_from(args).unwrap().command;
        cli
    }

    #[test]
    fn flags_and_trigger_parse() {
        let cli = parse(&[
            "polypay",
            "sandbox",
            "--port",
            "0",
            "--print-config",
            "--seed",
            "7",
            "--time-scale",
            "0.001",
            "--callback-url",
            "http://127.0.0.1:3000/cb",
            "--fault",
            "{\"effect\":\"reset\"}",
            "--fault",
            "{\"effect\":\"malformed_json\"}",
        ]);
        assert!(cli.command.is_none());
        let a = cli.args;
        assert_eq!(
            (a.port, a.seed, a.time_scale, a.print_config),
            (Some(0), Some(7), Some(0.001), true)
        );
        assert_eq!(a.faults.len(), 2);
        let cli = parse(&[
            "polypay",
            "sandbox",
            "trigger",
            "cpi_1",
            "processed",
            "--base-url",
            "http://127.0.0.1:1",
        ]);
        match cli.command {
            Some(super::SandboxCommand::Trigger(t)) => {
                assert_eq!(
                    (
                        t.invoice_id.as_str(),
                        t.status.as_str(),
                        t.base_url.as_str()
                    ),
                    ("cpi_1", "processed", "http://127.0.0.1:1")
                );
            }
            other => panic!("trigger expected, got {other:?}"),
        }
        match parse(&["polypay", "sandbox", "env", "--wait", "2"]).command {
            Some(super::SandboxCommand::Env(e)) => {
                assert_eq!(
                    (e.base_url.as_str(), e.wait),
                    ("http://127.0.0.1:12380", 2.0)
                );
            }
            other => panic!("env expected, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod env_tests {
    #[test]
    fn exports_quote_for_the_shell() {
        let config = serde_json::json!({
            "base_url": "http://127.0.0.1:1",
            "paycore": {"account_id": "coma_it's", "api_key": "k", "public_key_test": "pk", "secret_key_test": "sk"},
            "ecommpay": {"project_id": 112, "secret_key": "s", "gate_base_url": "g", "payment_page_base_url": "p"},
        });
        let text = super::env_exports(&config);
        assert!(
            text.contains("export POLYPAY_ACCOUNT_ID='coma_it'\\''s'\n"),
            "{text}"
        );
        assert!(
            text.contains("export POLYPAY_ECOMMPAY_PROJECT_ID='112'\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 9);
    }
}

#[cfg(test)]
mod layering {
    /// Every module with its source, lowest first, as the crate documentation lists them.
    const MODULES: &[(&str, &str)] = &[
        ("util", include_str!("util.rs")),
        ("faults", include_str!("faults.rs")),
        ("config", include_str!("config.rs")),
        ("services", include_str!("services.rs")),
        ("accounts", include_str!("accounts.rs")),
        ("model", include_str!("model.rs")),
        ("cards", include_str!("cards.rs")),
        ("validate", include_str!("validate.rs")),
        ("callbacks", include_str!("callbacks.rs")),
        ("store", include_str!("store.rs")),
        ("ecommpay_sessions", include_str!("ecommpay_sessions.rs")),
        ("state", include_str!("state.rs")),
        ("http", include_str!("http.rs")),
        ("html", include_str!("html.rs")),
        ("api", include_str!("api.rs")),
        ("pages", include_str!("pages.rs")),
        ("ecommpay", include_str!("ecommpay.rs")),
        ("admin", include_str!("admin.rs")),
        ("server", include_str!("server.rs")),
    ];

    /// The name at the start of `text` (after blanks).
    fn ident(text: &str) -> &str {
        let text = text.trim_start();
        let end = text
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .unwrap_or(text.len());
        &text[..end]
    }

    /// The modules a source names: `crate::a::…`, `crate::a;`, `crate::{a, b::…}`.
    fn used_modules(source: &str) -> Vec<&str> {
        let mut used = Vec::new();
        for rest in source.split("crate::").skip(1) {
            match rest.strip_prefix('{') {
                Some(group) => used.extend(group[..group.find('}').unwrap()].split(',').map(ident)),
                None => used.push(ident(rest)),
            }
        }
        used
    }

    #[test]
    fn modules_use_only_lower_ones() {
        for (i, (module, source)) in MODULES.iter().enumerate() {
            for used in used_modules(source) {
                assert!(
                    !MODULES[i + 1..].iter().any(|(higher, _)| *higher == used),
                    "{module} uses {used}, a higher module"
                );
            }
        }
        assert_eq!(
            used_modules("use crate::a::b;\nuse crate::{c, d::e};\ncrate::f(x)"),
            ["a", "c", "d", "f"]
        );
    }
}
