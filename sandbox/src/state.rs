//! The sandbox's state and its state machine: every transition of an invoice happens here, under
//! the store's write lock, and queues the invoice's callback in the same critical section (so
//! callbacks queue in the order of the changes). Critical sections only touch maps and `Arc`s:
//! rendering and serialising happen outside.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::accounts::{Account, Accounts};
use crate::callbacks::{self, Deliverer, Job, Payload};
use crate::config::SandboxConfig;
use crate::ecommpay_sessions::Sessions;
use crate::faults::FaultSet;
use crate::gate::GateStore;
use crate::model::{CardPayment, Invoice, Refund};
use crate::services::{Flow, Kind, Service};
use crate::store::{Page, Store, UnknownCursor};
use crate::util::{derive_seed, json_bytes, now, IdGen, SplitMix};
use crate::validate::{Errors, PaymentRequest, PayoutRequest, NOT_BLANK};

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

#[derive(Default)]
pub struct Stats {
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
}

pub struct State {
    pub config: SandboxConfig,
    pub base_url: String,
    pub accounts: Accounts,
    /// Shared with the deliverer, which keeps each attempt on its invoice.
    store: Arc<RwLock<Store>>,
    pub faults: Mutex<FaultSet>,
    pub stats: Mutex<Stats>,
    pub ids: IdGen,
    pub deliverer: Deliverer,
    pub ecommpay: Mutex<Sessions>,
    pub gate: Mutex<GateStore>,
    rng: Mutex<SplitMix>,
}

impl State {
    pub fn new(config: SandboxConfig, base_url: String) -> Result<Arc<State>, String> {
        config.check()?;
        let accounts = Accounts::new(&config.accounts);
        let seed = config.seed.unwrap_or_else(rand::random::<u64>);
        let mut faults = FaultSet::new(seed);
        for rule in &config.faults {
            faults.add(rule)?;
        }
        let store = Arc::new(RwLock::new(Store::new(accounts.len())));
        let attempts_store = store.clone();
        let deliverer = Deliverer::new(
            callbacks::Settings {
                base_url: base_url.clone(),
                php_json: config.php_json,
                time_scale: config.time_scale,
                log_cap: config.max_callback_log,
            },
            callbacks::http_client(),
            Box::new(move |invoice_id, log| {
                attempts_store
                    .write()
                    .unwrap()
                    .record_callback(invoice_id, log)
            }),
        );
        Ok(Arc::new(State {
            deliverer,
            ids: IdGen::new(config.seed),
            rng: Mutex::new(SplitMix::new(derive_seed(seed, "outcomes"))),
            ecommpay: Mutex::new(Sessions::default()),
            gate: Mutex::new(GateStore::default()),
            faults: Mutex::new(faults),
            stats: Mutex::new(Stats::default()),
            store,
            accounts,
            base_url,
            config,
        }))
    }

    /// Serialises a response body the way the configured server writes JSON.
    pub fn json_bytes(&self, value: &Value) -> Vec<u8> {
        json_bytes(value, self.config.php_json)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Invoice>> {
        self.store.read().unwrap().get(id).cloned()
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
        store.by_reference(account, kind, reference_id).cloned()
    }

    pub fn get_refund(&self, account: usize, id: &str) -> Option<Refund> {
        self.store.read().unwrap().refund(account, id).cloned()
    }

    pub fn refund_by_reference(&self, account: usize, reference_id: &str) -> Option<Refund> {
        let store = self.store.read().unwrap();
        store.refund_by_reference(account, reference_id).cloned()
    }

    /// A page of an account's refunds, newest first, and whether more follow.
    pub fn refunds_page(
        &self,
        account: usize,
        size: usize,
        after: Option<&str>,
    ) -> Result<(Vec<Refund>, bool), UnknownCursor> {
        self.store
            .read()
            .unwrap()
            .refunds_page(account, size, after)
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
        store.list(account, kind, size, after, before)
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
        store.all(reference_id, account, kind, limit)
    }

    pub fn balances(&self, account: &Account) -> Value {
        self.store.read().unwrap().balances_json(account)
    }

    pub fn counts(&self) -> Value {
        self.store.read().unwrap().counts()
    }

    fn next_random(&self) -> f64 {
        self.rng.lock().unwrap().next_f64()
    }

    /// The callback URL an invoice's callbacks go to, if any.
    pub fn callback_target(&self, invoice: &Invoice) -> Option<String> {
        invoice
            .callback_url
            .clone()
            .or_else(|| self.accounts[invoice.account].cfg.callback_url.clone())
            .or_else(|| self.config.callback_url.clone())
    }

    /// Queues the callback for an invoice's current state (if a callback URL is known).
    fn notify(&self, snapshot: &Arc<Invoice>) {
        let Some(url) = self.callback_target(snapshot) else {
            return;
        };
        let secret = self.accounts[snapshot.account].secret(snapshot.test_mode);
        self.deliverer.enqueue(Job {
            queue_key: snapshot.id.clone(),
            invoice_id: snapshot.id.clone(),
            url,
            payload: Payload::Invoice {
                snapshot: snapshot.clone(),
                secret: secret.to_owned(),
            },
        });
    }

    /// Applies a change and queues its callback (the caller holds the store's write lock).
    fn transition(
        &self,
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
        let prefix = match kind {
            Kind::Payment => "cpi_",
            Kind::Payout => "cpoi_",
        };
        let id = self.ids.id(prefix);
        Invoice::new(kind, id, account, service, amount, test_mode)
    }

    /// Creates a payment invoice: `created`, then `process_pending`, then — for the test flow
    /// with a `status` field — `processed` or `process_failed`; each step sends a callback.
    pub fn create_payment(
        &self,
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
        inv.customer_id = account.customer_id(req.customer.as_ref());
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
        if let Some(existing) = store.by_reference(account.index, Kind::Payment, &inv.reference_id)
        {
            return Err(CreateError::Conflict(existing.clone()));
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
        &self,
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
    pub fn pay_test(&self, id: &str, outcome: &str) -> Option<Arc<Invoice>> {
        let mut store = self.store.write().unwrap();
        let inv = store.get(id)?;
        if !inv.is_payable() {
            return Some(inv.clone());
        }
        let chosen = store.change(id, now(), |i| {
            i.fields.insert("status".into(), json!(outcome));
        })?;
        Some(
            self.apply_test_status(&mut store, id, outcome)
                .unwrap_or(chosen),
        )
    }

    /// Card payment (after 3-D Secure when needed): processed or process_failed.
    pub fn finish_card(&self, id: &str, card: CardPayment) -> Option<Arc<Invoice>> {
        let mut store = self.store.write().unwrap();
        let inv = store.get(id)?;
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
        store.get(id)?.pending_card.as_deref().cloned()
    }

    /// Creates a payout invoice: created → process_pending → processed (or the status and
    /// resolution the test fields ask for). Live payouts need the funds (active balance plus
    /// overdraft), else they fail with `insufficient_funds`.
    pub fn create_payout(
        &self,
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
        inv.customer_id = account.customer_id(req.customer.as_ref());
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
        if let Some(existing) = store.by_reference(account.index, Kind::Payout, &inv.reference_id) {
            return Err(CreateError::Conflict(existing.clone()));
        }
        let needed = inv.amount + inv.fee;
        let funds_ok = inv.test_mode || {
            let balance = store.balance(account.index, inv.service.currency.code());
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
        &self,
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
                errors.add("amount", NOT_BLANK);
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
        let inv = match store.get(invoice_id) {
            Some(i) if i.account == account.index && i.kind == Kind::Payment => i.clone(),
            _ => return Err(RefundError::NotFound),
        };
        if let Some(r) = &reference_id {
            if let Some(existing) = store.refund_by_reference(account.index, r) {
                return Err(RefundError::Conflict(Box::new(existing.clone())));
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
            seq: 0,
        };
        let refund = store.add_refund(refund);
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

    /// Forces a status (admin trigger) and sends the callback, even if the status is unchanged.
    pub fn force_status(
        &self,
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
    pub fn resend_callback(&self, id: &str) -> Option<Option<String>> {
        let inv = self.get(id)?;
        let target = self.callback_target(&inv);
        // Under the lock, so the callback queues in order with any concurrent transition.
        let store = self.store.read().unwrap();
        if let Some(current) = store.get(id) {
            self.notify(current);
        }
        Some(target)
    }

    /// Expires payable invoices whose `expires` has passed.
    pub fn expire_due(&self) -> usize {
        let mut store = self.store.write().unwrap();
        let mut expired = 0;
        for id in store.take_due(now()) {
            if store.get(&id).is_some_and(|i| i.is_payable()) {
                self.transition(&mut store, &id, |i| {
                    i.status = "expired".into();
                    i.resolution = "expired".into();
                    i.pending_card = None;
                });
                expired += 1;
            }
        }
        expired
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
        *self.ecommpay.lock().unwrap() = Sessions::default();
        *self.gate.lock().unwrap() = GateStore::default();
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
        json!({
            "requests_total": total,
            "requests": requests,
            "faults_injected": injected,
            "faults": faults,
            "callbacks": self.deliverer.stats(),
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
