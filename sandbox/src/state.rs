//! The sandbox's state: accounts, invoices, refunds, balances, and every state transition
//! (each one queues its callback). One `RwLock` guards the store; critical sections only
//! touch maps and `Arc`s: rendering and serialising happen outside.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use polypay::Currency;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::callbacks::{Deliverer, Job, Payload};
use crate::config::{AccountConfig, SandboxConfig};
use crate::ecommpay::EcommpayStore;
use crate::faults::FaultSet;
use crate::model::{CallbackLog, CardPayment, Invoice, Refund};
use crate::services::{account_services, Flow, Kind, Service};
use crate::util::{derive_seed, money_string, now, stable_id, IdGen, SplitMix};
use crate::validate::{Errors, PaymentRequest, PayoutRequest, NOT_BLANK};

pub struct Account {
    pub index: usize,
    pub cfg: AccountConfig,
    pub services: Vec<Arc<Service>>,
    pub external_mid: Arc<str>,
    /// Currencies with a currency account, in catalogue order.
    pub currencies: Vec<(Currency, String)>,
}

impl Account {
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
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Balance {
    pub active: Decimal,
    pub pending: Decimal,
    pub reserved: Decimal,
}

/// Why a create did not happen.
pub enum CreateError {
    Invalid(Errors),
    /// The `reference_id` exists for this account and type: the existing invoice.
    Conflict(Arc<Invoice>),
}

pub enum RefundError {
    NotFound,
    Invalid(Errors),
    Conflict(Box<Refund>),
}

/// A `page[after]`/`page[before]` id that is not an invoice of the listing.
#[derive(Debug)]
pub struct UnknownCursor;

/// One page of a cursor listing.
pub struct Page {
    pub items: Vec<Arc<Invoice>>,
    pub has_more: bool,
    pub has_newer: bool,
}

#[derive(Default)]
struct Store {
    invoices: HashMap<String, Arc<Invoice>>,
    refs: HashMap<(usize, Kind, String), String>,
    /// Per account, per kind: sequence number → id (newest last).
    order: Vec<[BTreeMap<u64, String>; 2]>,
    refunds: HashMap<String, Refund>,
    refund_refs: HashMap<(usize, String), String>,
    balances: Vec<HashMap<&'static str, Balance>>,
    expiries: BTreeSet<(i64, String)>,
    seq: u64,
    evicted: u64,
}

impl Store {
    fn new(accounts: usize) -> Store {
        Store {
            order: (0..accounts)
                .map(|_| [BTreeMap::new(), BTreeMap::new()])
                .collect(),
            balances: (0..accounts).map(|_| HashMap::new()).collect(),
            ..Store::default()
        }
    }

    fn insert(&mut self, mut invoice: Invoice, cap: usize) -> Arc<Invoice> {
        let account = invoice.account;
        let count = self.order[account][0].len() + self.order[account][1].len();
        if count >= cap.max(1) {
            self.evict_one(account);
        }
        self.seq += 1;
        invoice.seq = self.seq;
        let id = invoice.id.clone();
        self.order[account][invoice.kind.index()].insert(invoice.seq, id.clone());
        self.refs.insert(
            (account, invoice.kind, invoice.reference_id.clone()),
            id.clone(),
        );
        if let Some(at) = invoice.expires {
            self.expiries.insert((at, id.clone()));
        }
        let before = invoice.contribution();
        let arc = Arc::new(invoice);
        self.apply_balance(&arc, (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO), before);
        self.invoices.insert(id, arc.clone());
        arc
    }

    /// Evicts the oldest final invoice of the account (or the oldest one if the first
    /// thousand are all still open). The two per-kind orders are merged lazily, so the usual
    /// case (the oldest invoice is final) costs one lookup.
    fn evict_one(&mut self, account: usize) {
        let [payments, payouts] = &self.order[account];
        let mut a = payments.iter().peekable();
        let mut b = payouts.iter().peekable();
        let mut oldest: Option<(u64, &String)> = None;
        let mut victim: Option<(u64, &String)> = None;
        for _ in 0..1000 {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 < y.0 => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => None,
            };
            let Some((seq, id)) = next else { break };
            oldest.get_or_insert((*seq, id));
            if self.invoices.get(id).is_some_and(|i| i.is_final()) {
                victim = Some((*seq, id));
                break;
            }
        }
        let Some((seq, id)) = victim.or(oldest).map(|(s, id)| (s, id.clone())) else {
            return;
        };
        if let Some(inv) = self.invoices.remove(&id) {
            self.order[account][inv.kind.index()].remove(&seq);
            self.refs
                .remove(&(account, inv.kind, inv.reference_id.clone()));
            if let Some(at) = inv.expires {
                self.expiries.remove(&(at, id.clone()));
            }
            for r in &inv.refunds {
                if let Some(refund) = self.refunds.remove(r) {
                    self.refund_refs.remove(&(account, refund.reference_id));
                }
            }
            self.evicted += 1;
        }
    }

    fn apply_balance(
        &mut self,
        inv: &Invoice,
        before: (Decimal, Decimal, Decimal),
        after: (Decimal, Decimal, Decimal),
    ) {
        if inv.test_mode || before == after {
            return;
        }
        let b = self.balances[inv.account]
            .entry(inv.service.currency.code())
            .or_default();
        b.active += after.0 - before.0;
        b.pending += after.1 - before.1;
        b.reserved += after.2 - before.2;
    }

    /// Mutates an invoice and keeps balances and the expiry index in step.
    fn change(&mut self, id: &str, at: i64, f: impl FnOnce(&mut Invoice)) -> Option<Arc<Invoice>> {
        let arc = self.invoices.get_mut(id)?;
        let inv = Arc::make_mut(arc);
        let before = inv.contribution();
        f(inv);
        inv.updated = at;
        if inv.status == "processed" && inv.processed.is_none() {
            inv.processed = Some(at);
        }
        let after = inv.contribution();
        let snapshot = arc.clone();
        if snapshot.is_final() {
            if let Some(exp) = snapshot.expires {
                self.expiries.remove(&(exp, id.to_owned()));
            }
        }
        self.apply_balance(&snapshot, before, after);
        Some(snapshot)
    }
}

#[derive(Default)]
pub struct Stats {
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
}

pub struct State {
    pub config: SandboxConfig,
    pub base_url: String,
    pub accounts: Vec<Account>,
    public_keys: HashMap<String, (usize, bool)>,
    basic: HashMap<String, usize>,
    store: RwLock<Store>,
    pub faults: Mutex<FaultSet>,
    pub stats: Mutex<Stats>,
    pub ids: IdGen,
    pub deliverer: Deliverer,
    pub ecommpay: Mutex<EcommpayStore>,
    rng: Mutex<SplitMix>,
}

impl State {
    pub fn new(config: SandboxConfig, base_url: String) -> Result<Arc<State>, String> {
        config.check()?;
        let mut accounts = Vec::new();
        let mut public_keys = HashMap::new();
        let mut basic = HashMap::new();
        for (index, cfg) in config.accounts.iter().enumerate() {
            let services = account_services(cfg);
            let mut currencies: Vec<(Currency, String)> = Vec::new();
            for s in &services {
                if !currencies.iter().any(|(c, _)| *c == s.currency) {
                    let id = stable_id(
                        "comca_",
                        &format!("{}/{}", cfg.account_id, s.currency.code()),
                    );
                    currencies.push((s.currency, id));
                }
            }
            public_keys.insert(cfg.public_key_test.clone(), (index, true));
            public_keys.insert(cfg.public_key_live.clone(), (index, false));
            let credentials = STANDARD.encode(format!("{}:{}", cfg.account_id, cfg.api_key));
            basic.insert(format!("Basic {credentials}"), index);
            accounts.push(Account {
                index,
                external_mid: stable_id("ma_", &cfg.account_id).into(),
                cfg: cfg.clone(),
                services,
                currencies,
            });
        }
        let seed = config.seed.unwrap_or_else(rand::random::<u64>);
        let mut faults = FaultSet::new(seed);
        for rule in &config.faults {
            faults.add(rule)?;
        }
        let store = Store::new(accounts.len());
        Ok(Arc::new(State {
            deliverer: Deliverer::new(config.time_scale, config.max_callback_log),
            ids: IdGen::new(config.seed),
            rng: Mutex::new(SplitMix::new(derive_seed(seed, "outcomes"))),
            ecommpay: Mutex::new(EcommpayStore::default()),
            faults: Mutex::new(faults),
            stats: Mutex::new(Stats::default()),
            store: RwLock::new(store),
            accounts,
            public_keys,
            basic,
            base_url,
            config,
        }))
    }

    /// Serialises a response or callback body the way the configured server writes JSON.
    pub fn json_bytes(&self, value: &Value) -> Vec<u8> {
        if self.config.php_json {
            polypay::json::to_php_json(value)
        } else {
            serde_json::to_vec(value).expect("JSON")
        }
    }

    /// The account a public key belongs to, and whether the key is a test key.
    pub fn public_key(&self, key: &str) -> Option<(&Account, bool)> {
        self.public_keys
            .get(key)
            .map(|(i, t)| (&self.accounts[*i], *t))
    }

    /// HTTP Basic auth of the private API: 401 unless the account id and API key match,
    /// 403 for an account that is not active.
    pub fn authenticate(&self, header: Option<&str>) -> Result<&Account, u16> {
        let header = header.ok_or(401u16)?;
        let index = match self.basic.get(header) {
            Some(i) => *i,
            None => {
                let (scheme, credentials) = header.trim().split_once(' ').ok_or(401u16)?;
                if !scheme.eq_ignore_ascii_case("basic") {
                    return Err(401);
                }
                let decoded = STANDARD.decode(credentials.trim()).map_err(|_| 401u16)?;
                let text = String::from_utf8(decoded).map_err(|_| 401u16)?;
                let (id, key) = text.split_once(':').ok_or(401u16)?;
                self.accounts
                    .iter()
                    .position(|a| a.cfg.account_id == id && a.cfg.api_key == key)
                    .ok_or(401u16)?
            }
        };
        let account = &self.accounts[index];
        if account.is_active() {
            Ok(account)
        } else {
            Err(403)
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Invoice>> {
        self.store.read().unwrap().invoices.get(id).cloned()
    }

    /// An invoice of this account and kind (404 otherwise).
    pub fn get_owned(&self, account: usize, kind: Kind, id: &str) -> Option<Arc<Invoice>> {
        self.get(id)
            .filter(|i| i.account == account && i.kind == kind)
    }

    pub fn by_reference(
        &self,
        account: usize,
        kind: Kind,
        reference_id: &str,
    ) -> Option<Arc<Invoice>> {
        let store = self.store.read().unwrap();
        let id = store.refs.get(&(account, kind, reference_id.to_owned()))?;
        store.invoices.get(id).cloned()
    }

    fn next_random(&self) -> f64 {
        self.rng.lock().unwrap().next_f64()
    }

    /// Queues the callback for an invoice's current state (if a callback URL is known).
    fn notify(self: &Arc<Self>, snapshot: &Arc<Invoice>) {
        let account = &self.accounts[snapshot.account];
        let url = snapshot
            .callback_url
            .clone()
            .or_else(|| account.cfg.callback_url.clone())
            .or_else(|| self.config.callback_url.clone());
        let Some(url) = url else { return };
        self.deliverer.enqueue(
            self,
            Job {
                queue_key: snapshot.id.clone(),
                invoice_id: snapshot.id.clone(),
                url,
                payload: Payload::Invoice {
                    snapshot: snapshot.clone(),
                    secret: account.secret(snapshot.test_mode).to_owned(),
                },
            },
        );
    }

    /// The callback URL an invoice's callbacks go to, if any.
    pub fn callback_target(&self, invoice: &Invoice) -> Option<String> {
        invoice
            .callback_url
            .clone()
            .or_else(|| self.accounts[invoice.account].cfg.callback_url.clone())
            .or_else(|| self.config.callback_url.clone())
    }

    pub(crate) fn record_callback(&self, invoice_id: &str, log: CallbackLog) {
        let mut store = self.store.write().unwrap();
        if let Some(arc) = store.invoices.get_mut(invoice_id) {
            let at = log.processed;
            Arc::make_mut(arc).push_callback_log(at, log);
        }
    }

    /// Applies a change and sends its callback, under one lock (so callbacks queue in order).
    fn transition(
        self: &Arc<Self>,
        store: &mut Store,
        id: &str,
        f: impl FnOnce(&mut Invoice),
    ) -> Option<Arc<Invoice>> {
        let snapshot = store.change(id, now(), f)?;
        self.notify(&snapshot);
        Some(snapshot)
    }

    fn new_invoice(
        &self,
        kind: Kind,
        account: &Account,
        service: Arc<Service>,
        amount: Decimal,
        test_mode: bool,
    ) -> Invoice {
        let at = now();
        let prefix = match kind {
            Kind::Payment => "cpi_",
            Kind::Payout => "cpoi_",
        };
        Invoice {
            kind,
            id: self.ids.id(prefix),
            seq: 0,
            account: account.index,
            reference_id: String::new(),
            fee: service.fee(amount),
            service,
            amount,
            test_mode,
            status: "created".into(),
            resolution: "ok".into(),
            description: None,
            metadata: Map::new(),
            customer: None,
            customer_id: None,
            fields: Map::new(),
            return_url: None,
            return_urls: None,
            callback_url: None,
            payment_flow: "charge",
            expires: None,
            created: at,
            updated: at,
            processed: None,
            refunded: Decimal::ZERO,
            refunds: Vec::new(),
            payload: None,
            external_mid: account.external_mid.clone(),
            rrn: None,
            approval_code: None,
            payout_id: None,
            source: "merchant_api",
            callback_logs: Vec::new(),
            pending_card: None,
        }
    }

    fn customer_id(account: &Account, customer: &Option<Map<String, Value>>) -> Option<String> {
        let customer = customer.as_ref()?;
        let reference = match customer.get("reference_id")? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(stable_id(
            "cus_",
            &format!("{}/{reference}", account.cfg.account_id),
        ))
    }

    /// Creates a payment invoice: `created`, then `process_pending`, then — for the test flow
    /// with a `status` field — `processed` or `process_failed`; each step sends a callback.
    pub fn create_payment(
        self: &Arc<Self>,
        account: &Account,
        req: PaymentRequest,
    ) -> Result<Arc<Invoice>, CreateError> {
        let mut inv = self.new_invoice(
            Kind::Payment,
            account,
            req.service.clone(),
            req.amount,
            req.test_mode,
        );
        inv.reference_id = req
            .reference_id
            .clone()
            .unwrap_or_else(|| self.ids.token("", 32).to_ascii_lowercase());
        inv.description = req.description;
        inv.metadata = req.metadata;
        inv.customer_id = Self::customer_id(account, &req.customer);
        inv.customer = req.customer.map(Box::new);
        inv.fields = req.service_fields;
        inv.return_url = req.return_url;
        inv.return_urls = req.return_urls.map(Box::new);
        inv.callback_url = req.callback_url;
        inv.payment_flow = req.payment_flow;
        inv.expires = Some(
            req.expires
                .unwrap_or(inv.created + self.config.invoice_lifetime_secs),
        );
        inv.source = req.source;
        let test_outcome = match (
            req.service.flow,
            inv.fields.get("status").and_then(Value::as_str),
        ) {
            (Flow::Test, Some(s)) if !s.is_empty() => Some(s.to_owned()),
            _ => None,
        };
        let mut store = self.store.write().unwrap();
        if let Some(existing) =
            store
                .refs
                .get(&(account.index, Kind::Payment, inv.reference_id.clone()))
        {
            return Err(CreateError::Conflict(store.invoices[existing].clone()));
        }
        let id = inv.id.clone();
        let created = store.insert(inv, self.config.max_invoices_per_account);
        self.notify(&created);
        let mut last = self
            .transition(&mut store, &id, |i| i.status = "process_pending".into())
            .expect("just inserted");
        if let Some(outcome) = test_outcome {
            if let Some(s) = self.apply_test_status(&mut store, &id, &outcome) {
                last = s;
            }
        }
        Ok(last)
    }

    /// The test flow's `status` field: success → processed, fail → process_failed, pending → stays.
    fn apply_test_status(
        self: &Arc<Self>,
        store: &mut Store,
        id: &str,
        outcome: &str,
    ) -> Option<Arc<Invoice>> {
        match outcome {
            "success" => self.transition(store, id, |i| {
                i.status = "processed".into();
                i.resolution = "ok".into();
                i.payload = Some(Box::default());
            }),
            "fail" => self.transition(store, id, |i| {
                i.status = "process_failed".into();
                i.resolution = "general_decline".into();
            }),
            _ => None,
        }
    }

    /// The customer chose a test status on the hosted page.
    pub fn pay_test(self: &Arc<Self>, id: &str, outcome: &str) -> Option<Arc<Invoice>> {
        let mut store = self.store.write().unwrap();
        let inv = store.invoices.get(id)?;
        if !inv.is_payable() {
            return Some(inv.clone());
        }
        store.change(id, now(), |i| {
            i.fields.insert("status".into(), json!(outcome));
        });
        Some(
            self.apply_test_status(&mut store, id, outcome)
                .unwrap_or_else(|| store.invoices[id].clone()),
        )
    }

    /// Card payment (after 3-D Secure when needed): processed or process_failed.
    pub fn finish_card(self: &Arc<Self>, id: &str, card: CardPayment) -> Option<Arc<Invoice>> {
        let mut store = self.store.write().unwrap();
        let inv = store.invoices.get(id)?;
        if !inv.is_payable() {
            return Some(inv.clone());
        }
        let rrn = format!("{:012}", self.ids.number() % 1_000_000_000_000);
        let approval = format!("{:06}", self.ids.number() % 1_000_000);
        self.transition(&mut store, id, |i| {
            i.pending_card = None;
            i.payload = Some(Box::new(card.payload));
            if card.success {
                i.status = "processed".into();
                i.resolution = "ok".into();
                i.rrn = Some(rrn);
                i.approval_code = Some(approval);
            } else {
                i.status = "process_failed".into();
                i.resolution = card.resolution;
            }
        })
    }

    /// Keeps a card payment waiting for the 3-D Secure confirmation (no status change).
    pub fn hold_card(&self, id: &str, card: CardPayment) -> Option<Arc<Invoice>> {
        let mut store = self.store.write().unwrap();
        store.change(id, now(), |i| i.pending_card = Some(Box::new(card)))
    }

    pub fn take_pending_card(&self, id: &str) -> Option<CardPayment> {
        let store = self.store.read().unwrap();
        store.invoices.get(id)?.pending_card.as_deref().cloned()
    }

    /// Creates a payout invoice: created → process_pending → processed (or the status and
    /// resolution the test fields ask for). Live payouts need the funds (active balance plus
    /// overdraft), else they fail with `insufficient_funds`.
    pub fn create_payout(
        self: &Arc<Self>,
        account: &Account,
        req: PayoutRequest,
    ) -> Result<Arc<Invoice>, CreateError> {
        let mut inv = self.new_invoice(
            Kind::Payout,
            account,
            req.service.clone(),
            req.amount,
            req.test_mode,
        );
        inv.reference_id = req.reference_id;
        inv.description = req.description;
        inv.metadata = req.metadata;
        inv.customer_id = Self::customer_id(account, &req.customer);
        inv.customer = req.customer.map(Box::new);
        inv.callback_url = req.callback_url;
        let wanted_status = req
            .fields
            .get("test_details_payout_status")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let wanted_resolution = req
            .fields
            .get("test_details_payout_resolution")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let success_rate = match req.fields.get("test_details_success_rate") {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        inv.fields = req.fields;
        let mut store = self.store.write().unwrap();
        if let Some(existing) =
            store
                .refs
                .get(&(account.index, Kind::Payout, inv.reference_id.clone()))
        {
            return Err(CreateError::Conflict(store.invoices[existing].clone()));
        }
        let needed = inv.amount + inv.fee;
        let funds_ok = inv.test_mode || {
            let balance = store.balances[account.index]
                .get(inv.service.currency.code())
                .copied()
                .unwrap_or_default();
            balance.active + account.cfg.overdraft_limit >= needed
        };
        let id = inv.id.clone();
        let created = store.insert(inv, self.config.max_invoices_per_account);
        self.notify(&created);
        if !funds_ok {
            return Ok(self
                .transition(&mut store, &id, |i| {
                    i.status = "process_failed".into();
                    i.resolution = "insufficient_funds".into();
                })
                .expect("inserted"));
        }
        let mut last = self
            .transition(&mut store, &id, |i| i.status = "process_pending".into())
            .expect("inserted");
        let (status, resolution) = match (wanted_status, success_rate) {
            (Some(s), _) => {
                let r = wanted_resolution.unwrap_or_else(|| default_resolution(&s).to_owned());
                (s, r)
            }
            (None, Some(rate)) if self.next_random() * 100.0 >= rate => (
                "process_failed".to_owned(),
                wanted_resolution.unwrap_or_else(|| "general_decline".into()),
            ),
            (None, _) => (
                "processed".to_owned(),
                wanted_resolution.unwrap_or_else(|| "ok".into()),
            ),
        };
        if status != "process_pending" {
            let po = self.ids.id("po_");
            let rrn = format!("{:012}", self.ids.number() % 1_000_000_000_000);
            if let Some(s) = self.transition(&mut store, &id, |i| {
                i.status = status.clone().into();
                i.resolution = resolution.into();
                if status == "processed" {
                    i.payout_id = Some(po);
                    i.rrn = Some(rrn);
                }
            }) {
                last = s;
            }
        }
        Ok(last)
    }

    /// Refunds (part of) a processed payment: `partially_refunded` until nothing remains,
    /// then `refunded`; every refund sends the invoice's callback.
    pub fn refund(
        self: &Arc<Self>,
        account: &Account,
        invoice_id: &str,
        attrs: &Map<String, Value>,
    ) -> Result<Refund, RefundError> {
        let mut errors = Errors::default();
        let reference_id = match attrs.get("reference_id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Null) | None => {
                errors.add("reference_id", NOT_BLANK);
                None
            }
            Some(_) => {
                errors.add("reference_id", "This value should be of type string.");
                None
            }
        };
        let description = attrs
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        // The documented body always carries the amount (docs §3.10); nothing documents a full
        // refund by omission, so the sandbox refuses it as the core does: one rule everywhere.
        let requested = match attrs.get("amount") {
            None | Some(Value::Null) => {
                errors.add("amount", crate::validate::NOT_BLANK);
                None
            }
            Some(v) => match polypay::Amount::from_json(v) {
                Ok(a) if !a.is_zero() => Some(a),
                Ok(_) => {
                    errors.add("amount", "This value should be greater than 0.");
                    None
                }
                Err(e) if e.code() == "negative_amount" => {
                    errors.add("amount", "This value should be greater than 0.");
                    None
                }
                Err(_) => {
                    errors.add("amount", "This value should be a valid number.");
                    None
                }
            },
        };
        let mut store = self.store.write().unwrap();
        let inv = match store.invoices.get(invoice_id) {
            Some(i) if i.account == account.index && i.kind == Kind::Payment => i.clone(),
            _ => return Err(RefundError::NotFound),
        };
        if let Some(r) = &reference_id {
            if let Some(existing) = store.refund_refs.get(&(account.index, r.clone())) {
                return Err(RefundError::Conflict(Box::new(
                    store.refunds[existing].clone(),
                )));
            }
        }
        if !matches!(inv.status.as_ref(), "processed" | "partially_refunded") {
            errors.add(
                "status",
                format!(
                    "The invoice cannot be refunded in status \"{}\".",
                    inv.status
                ),
            );
        }
        let remaining = inv.amount - inv.refunded;
        let amount = requested.map(|a| a.as_decimal()).unwrap_or(remaining);
        if let Some(a) = requested {
            if polypay::Money::new(a, inv.service.currency).is_err() {
                errors.add("amount", "This value has too many decimal places.");
            } else if a.as_decimal() > remaining {
                errors.add(
                    "amount",
                    format!(
                        "The refund amount exceeds the refundable amount ({}).",
                        remaining.normalize()
                    ),
                );
            }
        }
        if !errors.is_empty() {
            return Err(RefundError::Invalid(errors));
        }
        let refund = Refund {
            id: self.ids.id("ref_"),
            account: account.index,
            invoice_id: inv.id.clone(),
            reference_id: reference_id.expect("checked"),
            description,
            status: "processed".into(),
            amount,
            currency: inv.service.currency.code(),
            created: now(),
        };
        store.refunds.insert(refund.id.clone(), refund.clone());
        store.refund_refs.insert(
            (account.index, refund.reference_id.clone()),
            refund.id.clone(),
        );
        let refund_id = refund.id.clone();
        self.transition(&mut store, invoice_id, |i| {
            i.refunded += amount;
            i.refunds.push(refund_id);
            i.status = if i.refunded >= i.amount {
                "refunded"
            } else {
                "partially_refunded"
            }
            .into();
            i.resolution = "ok".into();
        });
        Ok(refund)
    }

    pub fn get_refund(&self, account: usize, id: &str) -> Option<Refund> {
        let store = self.store.read().unwrap();
        store
            .refunds
            .get(id)
            .filter(|r| r.account == account)
            .cloned()
    }

    /// Forces a status (admin trigger) and sends the callback, even if the status is unchanged.
    pub fn force_status(
        self: &Arc<Self>,
        id: &str,
        status: &str,
        resolution: Option<&str>,
    ) -> Result<Arc<Invoice>, String> {
        let inv = self.get(id).ok_or_else(|| format!("no invoice {id}"))?;
        let known = match inv.kind {
            Kind::Payment => !matches!(
                polypay::paycore::PaymentInvoiceStatus::parse(status),
                polypay::paycore::PaymentInvoiceStatus::Other(_)
            ),
            Kind::Payout => !matches!(
                polypay::paycore::PayoutInvoiceStatus::parse(status),
                polypay::paycore::PayoutInvoiceStatus::Other(_)
            ),
        };
        if !known {
            return Err(format!(
                "'{status}' is not a {} invoice status",
                inv.kind.as_str()
            ));
        }
        let status = status.to_ascii_lowercase();
        let resolution = resolution
            .map(str::to_owned)
            .unwrap_or_else(|| default_resolution(&status).to_owned());
        let po = self.ids.id("po_");
        let mut store = self.store.write().unwrap();
        self.transition(&mut store, id, |i| {
            match status.as_str() {
                "refunded" => i.refunded = i.amount,
                "processed" if i.kind == Kind::Payout && i.payout_id.is_none() => {
                    i.payout_id = Some(po)
                }
                "processed" if i.kind == Kind::Payment && i.payload.is_none() => {
                    i.payload = Some(Box::default())
                }
                _ => {}
            }
            i.pending_card = None;
            i.status = status.clone().into();
            i.resolution = resolution.into();
        })
        .ok_or_else(|| format!("no invoice {id}"))
    }

    /// Sends the callback for the invoice's current state again.
    pub fn resend_callback(self: &Arc<Self>, id: &str) -> Option<Option<String>> {
        let inv = self.get(id)?;
        let target = self.callback_target(&inv);
        // Under the lock, so the callback queues in order with any concurrent transition.
        let store = self.store.read().unwrap();
        if let Some(current) = store.invoices.get(id) {
            self.notify(current);
        }
        Some(target)
    }

    /// Expires payable invoices whose `expires` has passed.
    pub fn expire_due(self: &Arc<Self>) -> usize {
        let at = now();
        let mut store = self.store.write().unwrap();
        let due: Vec<(i64, String)> = store
            .expiries
            .iter()
            .take_while(|(t, _)| *t <= at)
            .cloned()
            .collect();
        let mut expired = 0;
        for key in due {
            store.expiries.remove(&key);
            let payable = store.invoices.get(&key.1).is_some_and(|i| i.is_payable());
            if payable {
                self.transition(&mut store, &key.1, |i| {
                    i.status = "expired".into();
                    i.resolution = "expired".into();
                    i.pending_card = None;
                });
                expired += 1;
            }
        }
        expired
    }

    /// A page of an account's invoices, newest first. `after`: older than that id;
    /// `before`: newer than that id.
    pub fn list(
        &self,
        account: usize,
        kind: Kind,
        size: usize,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<Page, UnknownCursor> {
        let store = self.store.read().unwrap();
        let order = &store.order[account][kind.index()];
        let seq_of = |id: &str| -> Result<u64, UnknownCursor> {
            store
                .invoices
                .get(id)
                .filter(|i| i.account == account && i.kind == kind)
                .map(|i| i.seq)
                .ok_or(UnknownCursor)
        };
        let ids: Vec<&String>;
        let has_more;
        let has_newer;
        if let Some(before) = before {
            let seq = seq_of(before)?;
            let mut newer: Vec<&String> = order
                .range(seq + 1..)
                .take(size + 1)
                .map(|(_, id)| id)
                .collect();
            has_newer = newer.len() > size;
            newer.truncate(size);
            newer.reverse();
            has_more = true;
            ids = newer;
        } else {
            let mut older: Vec<&String> = match after {
                Some(after) => {
                    let seq = seq_of(after)?;
                    order
                        .range(..seq)
                        .rev()
                        .take(size + 1)
                        .map(|(_, id)| id)
                        .collect()
                }
                None => order
                    .iter()
                    .rev()
                    .take(size + 1)
                    .map(|(_, id)| id)
                    .collect(),
            };
            has_more = older.len() > size;
            older.truncate(size);
            has_newer = after.is_some()
                && older.first().is_some_and(|first| {
                    let s = store.invoices[*first].seq;
                    order.range(s + 1..).next().is_some()
                });
            ids = older;
        }
        let items = ids.iter().map(|id| store.invoices[*id].clone()).collect();
        Ok(Page {
            items,
            has_more,
            has_newer,
        })
    }

    /// Every invoice (admin), newest first, optionally filtered.
    pub fn all_invoices(
        &self,
        reference_id: Option<&str>,
        account: Option<usize>,
        kind: Option<Kind>,
        limit: usize,
    ) -> Vec<Arc<Invoice>> {
        let store = self.store.read().unwrap();
        let mut out: Vec<Arc<Invoice>> = store
            .invoices
            .values()
            .filter(|i| reference_id.is_none_or(|r| i.reference_id == r))
            .filter(|i| account.is_none_or(|a| i.account == a))
            .filter(|i| kind.is_none_or(|k| i.kind == k))
            .cloned()
            .collect();
        out.sort_by_key(|i| std::cmp::Reverse(i.seq));
        out.truncate(limit);
        out
    }

    pub fn balances(&self, account: &Account) -> Value {
        let store = self.store.read().unwrap();
        let mut map = Map::new();
        for (currency, comca) in &account.currencies {
            let b = store.balances[account.index]
                .get(currency.code())
                .copied()
                .unwrap_or_default();
            let e = currency.exponent();
            map.insert(
                currency.code().to_owned(),
                json!({
                    "account_id": comca,
                    "active_balance": money_string(b.active, e),
                    "pending_balance": money_string(b.pending, e),
                    "reserved_balance": money_string(b.reserved, e),
                    "overdraft_limit": money_string(account.cfg.overdraft_limit, e),
                    "balance_lower_limit": null,
                }),
            );
        }
        crate::util::php_obj(map)
    }

    pub fn counts(&self) -> Value {
        let store = self.store.read().unwrap();
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let (mut payments, mut payouts) = (0u64, 0u64);
        for inv in store.invoices.values() {
            match inv.kind {
                Kind::Payment => payments += 1,
                Kind::Payout => payouts += 1,
            }
            *by_status
                .entry(format!("{}:{}", inv.kind.as_str(), inv.status))
                .or_default() += 1;
        }
        json!({
            "payment_invoices": payments,
            "payout_invoices": payouts,
            "refunds": store.refunds.len(),
            "evicted": store.evicted,
            "by_status": by_status,
        })
    }

    /// Forgets every invoice, refund, balance, callback, statistic and ecommpay payment;
    /// restores the configured fault rules and restarts the seeded streams.
    pub fn reset(&self) -> Result<(), String> {
        *self.store.write().unwrap() = Store::new(self.accounts.len());
        self.deliverer.reset();
        let seed = self.config.seed.unwrap_or_else(rand::random::<u64>);
        let mut faults = FaultSet::new(seed);
        for rule in &self.config.faults {
            faults.add(rule)?;
        }
        *self.faults.lock().unwrap() = faults;
        *self.stats.lock().unwrap() = Stats::default();
        *self.rng.lock().unwrap() = SplitMix::new(derive_seed(seed, "outcomes"));
        self.ids.reseed(self.config.seed);
        *self.ecommpay.lock().unwrap() = EcommpayStore::default();
        Ok(())
    }

    pub fn count_request(&self, key: String) {
        let mut stats = self.stats.lock().unwrap();
        stats.total += 1;
        *stats.requests.entry(key).or_default() += 1;
    }

    pub fn stats_json(&self) -> Value {
        let (requests, total) = {
            let s = self.stats.lock().unwrap();
            (s.requests.clone(), s.total)
        };
        let (faults, injected) = {
            let f = self.faults.lock().unwrap();
            (f.list(), f.injected)
        };
        let d = &self.deliverer;
        json!({
            "requests_total": total,
            "requests": requests,
            "faults_injected": injected,
            "faults": faults,
            "callbacks": {
                "attempts": d.attempts.load(Ordering::Relaxed),
                "delivered": d.delivered.load(Ordering::Relaxed),
                "failed_attempts": d.failed_attempts.load(Ordering::Relaxed),
                "exhausted": d.exhausted.load(Ordering::Relaxed),
                "dropped": d.dropped.load(Ordering::Relaxed),
                "pending": d.pending(),
            },
            "invoices": self.counts(),
        })
    }
}

/// The resolution a status gets when none is given.
pub fn default_resolution(status: &str) -> &'static str {
    match status {
        "process_failed" | "refund_failed" | "cancel_failed" => "general_decline",
        "expired" => "expired",
        _ => "ok",
    }
}
