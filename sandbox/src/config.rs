//! Configuration: deterministic defaults, the TOML file format, and the CLI arguments.

use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The port `polypay sandbox` listens on when `--port` is not given.
pub const DEFAULT_PORT: u16 = 12380;
/// Currencies of the default services catalogue (paycore-api docs §7).
pub const DEFAULT_CURRENCIES: &[&str] = &["USD", "EUR", "UAH", "GBP", "BTC", "ETH", "XTS"];
/// Invoices kept per account before the oldest final ones are evicted.
pub const DEFAULT_MAX_INVOICES: usize = 200_000;
/// Entries kept in the admin callback delivery log.
pub const DEFAULT_MAX_CALLBACK_LOG: usize = 10_000;

/// Everything a sandbox instance needs. `SandboxConfig::default()` is the documented default
/// account and ecommpay project, on 127.0.0.1 with a free port.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Interface to bind (default 127.0.0.1).
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Where callbacks go when neither the invoice nor the account names a URL.
    pub callback_url: Option<String>,
    /// Multiplies the callback retry delays (0.001 turns +1 min into +60 ms).
    pub time_scale: f64,
    /// Seeds invoice ids and fault probabilities; `None` uses OS randomness.
    pub seed: Option<u64>,
    /// Invoices kept per account (payments and payouts together).
    pub max_invoices_per_account: usize,
    /// Entries kept in the admin delivery log.
    pub max_callback_log: usize,
    /// Lifetime of a payment invoice created without `expires`, in seconds.
    pub invoice_lifetime_secs: i64,
    /// Write JSON like the PHP server: `\/` and `\uXXXX` escapes (callbacks and API responses).
    pub php_json: bool,
    pub accounts: Vec<AccountConfig>,
    pub ecommpay: Vec<EcommpayProjectConfig>,
    /// Fault rules (JSON objects, see the README).
    pub faults: Vec<Value>,
    /// How long after accepting a Gate request the sandbox processes it and sends the callback.
    pub gate_delay_ms: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: "127.0.0.1".into(),
            port: 0,
            callback_url: None,
            time_scale: 1.0,
            seed: None,
            max_invoices_per_account: DEFAULT_MAX_INVOICES,
            max_callback_log: DEFAULT_MAX_CALLBACK_LOG,
            invoice_lifetime_secs: 86_400,
            php_json: true,
            accounts: vec![AccountConfig::default()],
            ecommpay: vec![EcommpayProjectConfig::default()],
            faults: Vec::new(),
            gate_delay_ms: 300,
        }
    }
}

/// A Commerce account: credentials, options and services.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    pub account_id: String,
    pub api_key: String,
    pub public_key_test: String,
    pub secret_key_test: String,
    pub public_key_live: String,
    pub secret_key_live: String,
    pub name: String,
    pub description: String,
    pub website: Option<String>,
    /// The account's default callback URL.
    pub callback_url: Option<String>,
    /// "Forbid creation (public access)": public creates, the process form and the HPP get 422.
    pub forbid_public_creation: bool,
    /// `active`; anything else answers 403 on the private API and 422 on public creates.
    pub status: String,
    /// Currencies of the default catalogue for this account.
    pub currencies: Vec<String>,
    /// Include the default catalogue (`test_<cur>_test`, `payment_card_<cur>_hpp`, payout `test_<cur>`).
    pub default_services: bool,
    /// Extra services; one with the code of a default service replaces it.
    pub services: Vec<ServiceConfig>,
    /// How far live payouts may take the active balance below zero.
    #[serde(with = "dec")]
    pub overdraft_limit: Decimal,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            account_id: "coma_sandbox".into(),
            api_key: "sandbox_api_key".into(),
            public_key_test: "pk_test_sandbox".into(),
            secret_key_test: "sk_test_sandbox".into(),
            public_key_live: "pk_live_sandbox".into(),
            secret_key_live: "sk_live_sandbox".into(),
            name: "Sandbox merchant".into(),
            description: "polypay sandbox account".into(),
            website: None,
            callback_url: None,
            forbid_public_creation: false,
            status: "active".into(),
            currencies: DEFAULT_CURRENCIES.iter().map(|c| c.to_string()).collect(),
            default_services: true,
            services: Vec::new(),
            overdraft_limit: Decimal::ZERO,
        }
    }
}

/// One service of an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    pub code: String,
    /// `payment` or `payout`.
    pub kind: String,
    /// Payment method code (`payment_card`, `test`, ...).
    pub method: String,
    /// `hpp` (hosted card page) or `test` (field `status` decides). Payouts ignore it.
    pub flow: String,
    pub currency: String,
    #[serde(with = "dec")]
    pub amount_min: Decimal,
    #[serde(with = "dec")]
    pub amount_max: Decimal,
    /// Usable for live operations (`pk_live_`, `test_mode: false`).
    pub live: bool,
    /// Usable for test operations.
    pub test: bool,
    /// Fee in percent of the amount.
    #[serde(with = "dec")]
    pub fee_rate: Decimal,
    /// Fixed fee per operation.
    #[serde(with = "dec")]
    pub fee_fix: Decimal,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            code: String::new(),
            kind: "payment".into(),
            method: "payment_card".into(),
            flow: "hpp".into(),
            currency: "USD".into(),
            amount_min: Decimal::new(1, 2),
            amount_max: Decimal::new(1_000_000, 0),
            live: true,
            test: true,
            fee_rate: Decimal::ZERO,
            fee_fix: Decimal::ZERO,
        }
    }
}

/// An ecommpay project served by the Payment Page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EcommpayProjectConfig {
    pub project_id: i64,
    pub secret_key: String,
    pub callback_url: Option<String>,
}

impl Default for EcommpayProjectConfig {
    fn default() -> Self {
        EcommpayProjectConfig {
            project_id: 112,
            secret_key: "ecommpay_sandbox_secret".into(),
            callback_url: None,
        }
    }
}

/// Decimals in the file: strings ("0.01") or numbers (0.01, 5000).
mod dec {
    use super::*;

    pub fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.normalize().to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::de_decimal(d)
    }
}

fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Int(i) => i.to_string(),
        Raw::Float(f) => format!("{f}"),
        Raw::Text(t) => t,
    };
    Decimal::from_str(text.trim())
        .map_err(|_| serde::de::Error::custom(format!("'{text}' is not a decimal number")))
}

impl SandboxConfig {
    /// Reads a TOML configuration (format in the README). Missing sections keep their defaults.
    pub fn from_toml_str(text: &str) -> Result<SandboxConfig, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
        let mut json = serde_json::to_value(&table).map_err(|e| e.to_string())?;
        // `[sandbox]` holds the scalar settings; the rest is top level.
        if let Some(obj) = json.as_object_mut() {
            if let Some(Value::Object(sandbox)) = obj.remove("sandbox") {
                for (k, v) in sandbox {
                    obj.entry(k).or_insert(v);
                }
            }
        }
        let config: SandboxConfig =
            serde_json::from_value(json).map_err(|e| format!("invalid configuration: {e}"))?;
        config.check()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<SandboxConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        SandboxConfig::from_toml_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Rejects configurations that cannot work (duplicate keys, bad URLs, empty accounts).
    pub fn check(&self) -> Result<(), String> {
        if self.accounts.is_empty() {
            return Err("at least one account is needed".into());
        }
        if self.ecommpay.is_empty() {
            return Err("at least one ecommpay project is needed".into());
        }
        if !(self.time_scale.is_finite() && self.time_scale >= 0.0) {
            return Err("time_scale must be a non-negative number".into());
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.accounts {
            for key in [&a.account_id, &a.public_key_test, &a.public_key_live] {
                if key.is_empty() {
                    return Err(format!("account '{}' has an empty id or key", a.account_id));
                }
                if !seen.insert(key.clone()) {
                    return Err(format!(
                        "'{key}' is used twice (account ids and public keys must be unique)"
                    ));
                }
            }
            if a.api_key.is_empty() || a.secret_key_test.is_empty() || a.secret_key_live.is_empty()
            {
                return Err(format!(
                    "account '{}' has an empty api or secret key",
                    a.account_id
                ));
            }
            for s in &a.services {
                if s.code.is_empty() {
                    return Err(format!(
                        "account '{}' has a service without a code",
                        a.account_id
                    ));
                }
                if s.kind != "payment" && s.kind != "payout" {
                    return Err(format!(
                        "service '{}': kind must be \"payment\" or \"payout\"",
                        s.code
                    ));
                }
                polypay::Currency::parse(&s.currency)
                    .map_err(|e| format!("service '{}': {e}", s.code))?;
                if s.amount_min > s.amount_max || s.amount_min <= Decimal::ZERO {
                    return Err(format!(
                        "service '{}': need 0 < amount_min <= amount_max",
                        s.code
                    ));
                }
            }
            for c in &a.currencies {
                polypay::Currency::parse(c)
                    .map_err(|e| format!("account '{}': {e}", a.account_id))?;
            }
            for url in a.callback_url.iter() {
                if !crate::util::is_http_url(url) {
                    return Err(format!(
                        "account '{}': callback_url '{url}' is not an http(s) URL",
                        a.account_id
                    ));
                }
            }
        }
        let mut projects = std::collections::HashSet::new();
        for p in &self.ecommpay {
            if !projects.insert(p.project_id) {
                return Err(format!(
                    "ecommpay project {} is defined twice",
                    p.project_id
                ));
            }
            if p.secret_key.is_empty() {
                return Err(format!(
                    "ecommpay project {} has an empty secret_key",
                    p.project_id
                ));
            }
        }
        if let Some(url) = &self.callback_url {
            if !crate::util::is_http_url(url) {
                return Err(format!("callback_url '{url}' is not an http(s) URL"));
            }
        }
        for rule in &self.faults {
            crate::faults::FaultRule::parse(rule, 0).map_err(|e| format!("fault {rule}: {e}"))?;
        }
        Ok(())
    }
}

/// `polypay sandbox` flags.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free port) [default: 12380, or the config file's]
    #[arg(long)]
    pub port: Option<u16>,
    /// Interface to bind [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<String>,
    /// TOML configuration file (accounts, services, ecommpay projects, faults)
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Default callback URL for accounts and invoices that name none
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// Scale callback retry delays (0.001: +1 min becomes +60 ms)
    #[arg(long, value_name = "X")]
    pub time_scale: Option<f64>,
    /// Seed for ids and fault probabilities (reproducible runs)
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Print one JSON line with the base URL and credentials once listening
    #[arg(long)]
    pub print_config: bool,
    /// Fault rule as JSON, e.g. '{"route":"POST /api/payment-invoices","nth":2,"effect":"reset"}' (repeatable)
    #[arg(long = "fault", value_name = "JSON")]
    pub faults: Vec<String>,
}

impl SandboxArgs {
    /// The configuration these flags describe: file (if any), then flags on top.
    pub fn to_config(&self) -> Result<SandboxConfig, String> {
        let mut config = match &self.config {
            Some(path) => SandboxConfig::from_file(path)?,
            None => SandboxConfig {
                port: DEFAULT_PORT,
                ..SandboxConfig::default()
            },
        };
        if self.config.is_some() && !config_sets_port(self.config.as_deref()) {
            config.port = DEFAULT_PORT;
        }
        if let Some(port) = self.port {
            config.port = port;
        }
        if let Some(host) = &self.host {
            config.host = host.clone();
        }
        if let Some(url) = &self.callback_url {
            config.callback_url = Some(url.clone());
        }
        if let Some(scale) = self.time_scale {
            config.time_scale = scale;
        }
        if let Some(seed) = self.seed {
            config.seed = Some(seed);
        }
        for text in &self.faults {
            let rule: Value = serde_json::from_str(text)
                .map_err(|e| format!("--fault '{text}': not JSON: {e}"))?;
            config.faults.push(rule);
        }
        config.check()?;
        Ok(config)
    }
}

fn config_sets_port(path: Option<&Path>) -> bool {
    let Some(path) = path else { return false };
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return false;
    };
    table.contains_key("port")
        || table
            .get("sandbox")
            .and_then(|s| s.as_table())
            .is_some_and(|s| s.contains_key("port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses() {
        let text = include_str!("../sandbox.example.toml");
        let config = SandboxConfig::from_toml_str(text).unwrap();
        assert_eq!(config.accounts.len(), 2);
        assert!(config.accounts[1].forbid_public_creation);
        assert_eq!(config.faults.len(), 1);
    }

    #[test]
    fn every_fault_effect_can_be_written_in_toml() {
        let text = r#"
[[faults]]
effect = { status = 502, commit = true }
[[faults]]
effect = { status = 429, retry_after = "18446744073709551615" }
[[faults]]
effect = { type = "late_commit", commit_after_ms = 2000 }
[[faults]]
effect = { type = "wrong_shape", body = { data = [] } }
[[faults]]
effect = { type = "redirect", status = 307, location = "http://127.0.0.1:1/elsewhere" }
[[faults]]
effect = { type = "trickle", chunk_bytes = 8, interval_ms = 200 }
[[faults]]
route = "GET /api/payment-invoices"
effect = { type = "cyclic_links", alternate = true }
"#;
        let config = SandboxConfig::from_toml_str(text).unwrap();
        assert_eq!(config.faults.len(), 7);
        config.check().unwrap();
        let bad = "[[faults]]\neffect = { type = \"trickle\", chunk_size = 8 }\n";
        let err = SandboxConfig::from_toml_str(bad)
            .and_then(|c| c.check())
            .unwrap_err();
        assert!(err.contains("chunk_size"), "{err}");
    }

    #[test]
    fn rejects_unknown_keys_and_duplicates() {
        assert!(SandboxConfig::from_toml_str("bogus = 1").is_err());
        let dup = "[[accounts]]\naccount_id = \"a\"\n[[accounts]]\naccount_id = \"a\"\n";
        assert!(SandboxConfig::from_toml_str(dup)
            .unwrap_err()
            .contains("twice"));
    }
}
