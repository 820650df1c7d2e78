//! The configured accounts, their catalogues, and how a request finds its account: by public
//! key (public API, hosted pages) or by HTTP Basic credentials (private API).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use polypay::Currency;
use serde_json::{Map, Value};

use crate::config::AccountConfig;
use crate::services::{account_services, Kind, Service};
use crate::util::stable_id;

pub struct Account {
    pub index: usize,
    pub cfg: AccountConfig,
    pub services: Vec<Arc<Service>>,
    pub external_mid: Arc<str>,
    /// Currencies with a currency account, in catalogue order.
    pub currencies: Vec<(Currency, String)>,
}

impl Account {
    pub fn new(index: usize, cfg: AccountConfig) -> Account {
        let services = account_services(&cfg);
        let mut currencies: Vec<(Currency, String)> = Vec::new();
        for s in &services {
            if !currencies.iter().any(|(c, _)| *c == s.currency) {
                let label = format!("{}/{}", cfg.account_id, s.currency.code());
                currencies.push((s.currency, stable_id("comca_", &label)));
            }
        }
        Account {
            index,
            external_mid: stable_id("ma_", &cfg.account_id).into(),
            services,
            currencies,
            cfg,
        }
    }

    pub fn service(&self, kind: Kind, code: &str) -> Option<Arc<Service>> {
        self.services
            .iter()
            .find(|s| s.kind == kind && s.code == code)
            .cloned()
    }

    pub fn secret(&self, test_mode: bool) -> &str {
        if test_mode {
            &self.cfg.secret_key_test
        } else {
            &self.cfg.secret_key_live
        }
    }

    pub fn is_active(&self) -> bool {
        self.cfg.status == "active"
    }

    /// The customer id the platform gives a `customer.reference_id` of this account.
    pub fn customer_id(&self, customer: Option<&Map<String, Value>>) -> Option<String> {
        let reference = match customer?.get("reference_id")? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let label = format!("{}/{reference}", self.cfg.account_id);
        Some(stable_id("cus_", &label))
    }
}

/// Every account, in configuration order (an account's `index` is its place here).
pub struct Accounts {
    list: Vec<Account>,
    /// Public key → (account index, is a test key).
    public_keys: HashMap<String, (usize, bool)>,
    /// The exact `Authorization` header of each account's credentials.
    basic: HashMap<String, usize>,
}

impl Accounts {
    pub fn new(configs: &[AccountConfig]) -> Accounts {
        let mut public_keys = HashMap::new();
        let mut basic = HashMap::new();
        for (index, cfg) in configs.iter().enumerate() {
            public_keys.insert(cfg.public_key_test.clone(), (index, true));
            public_keys.insert(cfg.public_key_live.clone(), (index, false));
            let credentials = STANDARD.encode(format!("{}:{}", cfg.account_id, cfg.api_key));
            basic.insert(format!("Basic {credentials}"), index);
        }
        let list = configs
            .iter()
            .enumerate()
            .map(|(index, cfg)| Account::new(index, cfg.clone()))
            .collect();
        Accounts {
            list,
            public_keys,
            basic,
        }
    }

    /// The account a public key belongs to, and whether the key is a test key.
    pub fn public_key(&self, key: &str) -> Option<(&Account, bool)> {
        self.public_keys.get(key).map(|(i, t)| (&self.list[*i], *t))
    }

    /// HTTP Basic auth of the private API: 401 unless the account id and API key match,
    /// 403 for an account that is not active.
    pub fn authenticate(&self, header: Option<&str>) -> Result<&Account, u16> {
        let header = header.ok_or(401u16)?;
        let index = match self.basic.get(header) {
            Some(i) => *i,
            // Not the usual spelling (scheme case, spaces): decode it.
            None => {
                let (scheme, credentials) = header.trim().split_once(' ').ok_or(401u16)?;
                if !scheme.eq_ignore_ascii_case("basic") {
                    return Err(401);
                }
                let decoded = STANDARD.decode(credentials.trim()).map_err(|_| 401u16)?;
                let text = String::from_utf8(decoded).map_err(|_| 401u16)?;
                let (id, key) = text.split_once(':').ok_or(401u16)?;
                self.list
                    .iter()
                    .position(|a| a.cfg.account_id == id && a.cfg.api_key == key)
                    .ok_or(401u16)?
            }
        };
        let account = &self.list[index];
        if account.is_active() {
            Ok(account)
        } else {
            Err(403)
        }
    }
}

impl Deref for Accounts {
    type Target = [Account];

    fn deref(&self) -> &[Account] {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_and_public_keys_find_the_account() {
        let mut inactive = AccountConfig {
            account_id: "coma_closed".into(),
            api_key: "closed_key".into(),
            public_key_test: "pk_test_closed".into(),
            public_key_live: "pk_live_closed".into(),
            ..AccountConfig::default()
        };
        inactive.status = "suspended".into();
        let accounts = Accounts::new(&[AccountConfig::default(), inactive]);
        let header = |text: &str| format!("basic  {}", STANDARD.encode(text));

        let found = accounts.authenticate(Some(&header("coma_sandbox:sandbox_api_key")));
        assert_eq!(found.map(|a| a.index), Ok(0));
        assert_eq!(
            accounts
                .authenticate(Some(&header("coma_sandbox:wrong")))
                .err(),
            Some(401)
        );
        assert_eq!(accounts.authenticate(None).err(), Some(401));
        assert_eq!(
            accounts
                .authenticate(Some(&header("coma_closed:closed_key")))
                .err(),
            Some(403)
        );
        assert_eq!(
            accounts
                .public_key("pk_live_closed")
                .map(|(a, t)| (a.index, t)),
            Some((1, false))
        );
        assert!(accounts.public_key("pk_test_nobody").is_none());
    }
}
