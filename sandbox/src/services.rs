//! The services catalogue: payment and payout services of an account, and their public shapes.

use std::sync::Arc;

use polypay::Currency;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::config::{AccountConfig, ServiceConfig};
use crate::util::{num, stable_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Payment,
    Payout,
}

impl Kind {
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::Payment => "payment-invoices",
            Kind::Payout => "payout-invoices",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::Payout => "payout",
        }
    }

    pub fn index(self) -> usize {
        match self {
            Kind::Payment => 0,
            Kind::Payout => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Hosted card page: pending until the customer pays.
    Hpp,
    /// Test flow: the `status` field decides the outcome.
    Test,
}

#[derive(Debug)]
pub struct Service {
    pub id: String,
    pub code: String,
    pub kind: Kind,
    pub method: String,
    pub flow: Flow,
    pub currency: Currency,
    pub amount_min: Decimal,
    pub amount_max: Decimal,
    pub live: bool,
    pub test: bool,
    pub fee_rate: Decimal,
    pub fee_fix: Decimal,
}

impl Service {
    fn from_config(account_id: &str, c: &ServiceConfig) -> Service {
        let kind = if c.kind == "payout" {
            Kind::Payout
        } else {
            Kind::Payment
        };
        let prefix = match kind {
            Kind::Payment => "comcps_",
            Kind::Payout => "comcpos_",
        };
        Service {
            id: stable_id(prefix, &format!("{account_id}/{}/{}", c.kind, c.code)),
            code: c.code.clone(),
            kind,
            method: c.method.clone(),
            flow: if c.flow == "test" {
                Flow::Test
            } else {
                Flow::Hpp
            },
            currency: Currency::parse(&c.currency).expect("checked by the configuration"),
            amount_min: c.amount_min,
            amount_max: c.amount_max,
            live: c.live,
            test: c.test,
            fee_rate: c.fee_rate,
            fee_fix: c.fee_fix,
        }
    }

    pub fn available_in(&self, test_mode: bool) -> bool {
        if test_mode {
            self.test
        } else {
            self.live
        }
    }

    /// The fee for an amount, rounded to the currency's digits.
    pub fn fee(&self, amount: Decimal) -> Decimal {
        let fee = amount * self.fee_rate / Decimal::ONE_HUNDRED + self.fee_fix;
        match self.currency.exponent() {
            Some(e) => fee.round_dp(e),
            None => fee,
        }
        .normalize()
    }

    pub fn flow_name(&self) -> &'static str {
        match (self.kind, self.flow) {
            (Kind::Payout, _) => "payout",
            (_, Flow::Hpp) => "hpp",
            (_, Flow::Test) => "test",
        }
    }

    /// `fields[]` of the prerequests.
    pub fn fields(&self) -> Value {
        match (self.kind, self.flow) {
            (Kind::Payment, Flow::Test) => json!([status_field()]),
            (Kind::Payment, Flow::Hpp) => json!([]),
            (Kind::Payout, _) => json!([account_field()]),
        }
    }

    /// The entry of `services` in a prerequest response.
    pub fn prerequest_entry(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), json!(self.code));
        m.insert("method".into(), json!(self.method));
        if self.kind == Kind::Payment {
            m.insert("flow".into(), json!(self.flow_name()));
        }
        m.insert("currency".into(), json!(self.currency.code()));
        m.insert("fields".into(), self.fields());
        m.insert("amount_min".into(), num(self.amount_min));
        m.insert("amount_max".into(), num(self.amount_max));
        Value::Object(m)
    }

    /// The JSON:API `payment-services` / `payout-services` resource.
    pub fn resource(&self) -> Value {
        let (ty, relation) = match self.kind {
            Kind::Payment => ("payment-services", "payment-service"),
            Kind::Payout => ("payout-services", "payout-service"),
        };
        let mut relationships = Map::new();
        relationships.insert(
            "payment-method".into(),
            json!({"data": {"type": "payment-methods", "id": self.method}}),
        );
        relationships.insert(
            relation.into(),
            json!({"data": {"type": ty, "id": self.code}}),
        );
        json!({
            "type": ty,
            "id": self.id,
            "attributes": {
                "service": self.code,
                "service_method": self.method,
                "service_currency": self.currency.code(),
                "available": true,
                "active": true,
                "enabled": true,
                "amount_min": num(self.amount_min),
                "amount_max": num(self.amount_max),
                "fee_min": 0,
                "fee_max": 0,
                "fee_rate": num(self.fee_rate),
                "fee_fix": num(self.fee_fix),
                "reserve_lifetime": 0,
                "reserve_rate": 0,
                "currency": self.currency.code(),
                "test_mode": !self.live || self.method == "test",
            },
            "relationships": relationships,
            "links": {"self": format!("/api/{ty}/{}", self.id)},
        })
    }
}

pub fn status_field() -> Value {
    json!({
        "key": "status",
        "type": "string",
        "label": {"ru": "Статус", "en": "Status", "uk": "Статус"},
        "example": null,
        "hint": {"ru": "Введите статус", "en": "Enter Status", "uk": "Введіть статус"},
        "regexp": "^[a-zA-Z_]*$",
        "required": true,
        "position": 0
    })
}

pub fn account_field() -> Value {
    json!({
        "key": "account",
        "type": "string",
        "label": {"ru": "Счёт", "en": "Account", "uk": "Рахунок"},
        "example": "123456789",
        "hint": {"ru": "От 1 до 15 цифр", "en": "1 to 15 digits", "uk": "Від 1 до 15 цифр"},
        "regexp": "^[0-9]{1,15}$",
        "required": true,
        "position": 0
    })
}

/// The `methods` entry of a prerequest for a method code.
pub fn method_entry(code: &str) -> Value {
    match code {
        "payment_card" => json!({
            "code": "payment_card",
            "category": "payment_card",
            "description": "",
            "name": {"en": "Payment card", "ru": "Платежная карта", "uk": "Платіжна карта"},
            "logo": "https://static.openfintech.io/payment_methods/payment_card/logo.svg",
            "icon": "https://static.openfintech.io/payment_methods/payment_card/icon.svg",
            "metadata": null,
            "position": null,
            "hide": null
        }),
        "test" => json!({
            "code": "test",
            "category": "alternative",
            "description": "",
            "name": {"en": "Test", "ru": "Тест", "uk": "Тест"},
            "logo": "https://static.openfintech.io/payment_methods/test/logo.png",
            "icon": "https://static.openfintech.io/payment_methods/test/icon.svg",
            "metadata": null,
            "position": null,
            "hide": null
        }),
        other => json!({
            "code": other,
            "category": "alternative",
            "description": "",
            "name": {"en": other, "ru": other, "uk": other},
            "logo": null,
            "icon": null,
            "metadata": null,
            "position": null,
            "hide": null
        }),
    }
}

/// The default catalogue for one currency.
fn default_services(currency: &str) -> Vec<ServiceConfig> {
    let cur = currency.to_ascii_lowercase();
    vec![
        ServiceConfig {
            code: format!("payment_card_{cur}_hpp"),
            kind: "payment".into(),
            method: "payment_card".into(),
            flow: "hpp".into(),
            currency: currency.into(),
            amount_min: Decimal::new(1, 2),
            amount_max: Decimal::new(1_000_000, 0),
            ..ServiceConfig::default()
        },
        ServiceConfig {
            code: format!("test_{cur}_test"),
            kind: "payment".into(),
            method: "test".into(),
            flow: "test".into(),
            currency: currency.into(),
            amount_min: Decimal::new(1, 2),
            amount_max: Decimal::new(9_999_999, 0),
            ..ServiceConfig::default()
        },
        ServiceConfig {
            code: format!("test_{cur}"),
            kind: "payout".into(),
            method: "test".into(),
            flow: "test".into(),
            currency: currency.into(),
            amount_min: Decimal::new(1, 2),
            amount_max: Decimal::new(9_999_999, 0),
            ..ServiceConfig::default()
        },
    ]
}

/// The account's services: the default catalogue (unless disabled), then the configured ones
/// (a configured service replaces a default one with the same kind and code).
pub fn account_services(account: &AccountConfig) -> Vec<Arc<Service>> {
    let mut configs: Vec<ServiceConfig> = Vec::new();
    if account.default_services {
        for c in &account.currencies {
            configs.extend(default_services(c));
        }
    }
    for s in &account.services {
        match configs
            .iter_mut()
            .find(|c| c.code == s.code && c.kind == s.kind)
        {
            Some(existing) => *existing = s.clone(),
            None => configs.push(s.clone()),
        }
    }
    configs
        .iter()
        .map(|c| Arc::new(Service::from_config(&account.account_id, c)))
        .collect()
}
