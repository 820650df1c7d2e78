//! The store of invoices, refunds and live balances, indexed for lookups by id and reference,
//! cursor listings and expiry. It keeps its indexes and balances in step with every change;
//! which changes happen, and their callbacks, is the state machine's business (`state`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::accounts::Account;
use crate::model::{CallbackLog, Invoice, Refund};
use crate::services::Kind;
use crate::util::{money_string, php_obj};

#[derive(Debug, Clone, Copy, Default)]
pub struct Balance {
    pub active: Decimal,
    pub pending: Decimal,
    pub reserved: Decimal,
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
pub struct Store {
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
    pub fn new(accounts: usize) -> Store {
        Store {
            order: (0..accounts)
                .map(|_| [BTreeMap::new(), BTreeMap::new()])
                .collect(),
            balances: (0..accounts).map(|_| HashMap::new()).collect(),
            ..Store::default()
        }
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Invoice>> {
        self.invoices.get(id)
    }

    pub fn by_reference(
        &self,
        account: usize,
        kind: Kind,
        reference_id: &str,
    ) -> Option<&Arc<Invoice>> {
        let id = self.refs.get(&(account, kind, reference_id.to_owned()))?;
        self.invoices.get(id)
    }

    /// Adds an invoice (evicting one of the account's first when it holds `cap`).
    pub fn insert(&mut self, mut invoice: Invoice, cap: usize) -> Arc<Invoice> {
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
    pub fn change(
        &mut self,
        id: &str,
        at: i64,
        f: impl FnOnce(&mut Invoice),
    ) -> Option<Arc<Invoice>> {
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

    /// Keeps a delivery attempt in the invoice's `callback_logs` (not a change: `updated` stays).
    pub fn record_callback(&mut self, invoice_id: &str, log: CallbackLog) {
        if let Some(arc) = self.invoices.get_mut(invoice_id) {
            let at = log.processed;
            Arc::make_mut(arc).push_callback_log(at, log);
        }
    }

    /// Removes the expiry entries due at `at` and returns their invoice ids, soonest first.
    pub fn take_due(&mut self, at: i64) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((t, id)) = self.expiries.first().cloned() {
            if t > at {
                break;
            }
            self.expiries.pop_first();
            due.push(id);
        }
        due
    }

    pub fn balance(&self, account: usize, currency: &str) -> Balance {
        self.balances[account]
            .get(currency)
            .copied()
            .unwrap_or_default()
    }

    /// The account's balances by currency, as `GET /api/account/balances` shows them.
    pub fn balances_json(&self, account: &Account) -> Value {
        let mut map = Map::new();
        for (currency, comca) in &account.currencies {
            let b = self.balance(account.index, currency.code());
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
        php_obj(map)
    }

    /// Adds a refund, numbered in creation order; the stored copy is returned.
    pub fn add_refund(&mut self, mut refund: Refund) -> Refund {
        self.seq += 1;
        refund.seq = self.seq;
        self.refund_refs.insert(
            (refund.account, refund.reference_id.clone()),
            refund.id.clone(),
        );
        self.refunds.insert(refund.id.clone(), refund.clone());
        refund
    }

    pub fn refund(&self, account: usize, id: &str) -> Option<&Refund> {
        self.refunds.get(id).filter(|r| r.account == account)
    }

    /// A page of an account's refunds, newest first; `after`: the refunds after that one.
    /// Also whether more follow.
    pub fn refunds_page(
        &self,
        account: usize,
        size: usize,
        after: Option<&str>,
    ) -> Result<(Vec<Refund>, bool), UnknownCursor> {
        let mut all: Vec<&Refund> = self
            .refunds
            .values()
            .filter(|r| r.account == account)
            .collect();
        all.sort_by_key(|r| std::cmp::Reverse(r.seq));
        let start = match after {
            None => 0,
            Some(id) => all.iter().position(|r| r.id == id).ok_or(UnknownCursor)? + 1,
        };
        let page: Vec<Refund> = all
            .iter()
            .skip(start)
            .take(size)
            .map(|r| (*r).clone())
            .collect();
        Ok((page, all.len() > start + size))
    }

    pub fn refund_by_reference(&self, account: usize, reference_id: &str) -> Option<&Refund> {
        let id = self.refund_refs.get(&(account, reference_id.to_owned()))?;
        self.refunds.get(id)
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
        let order = &self.order[account][kind.index()];
        let seq_of = |id: &str| -> Result<u64, UnknownCursor> {
            self.invoices
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
                    let s = self.invoices[*first].seq;
                    order.range(s + 1..).next().is_some()
                });
            ids = older;
        }
        let items = ids.iter().map(|id| self.invoices[*id].clone()).collect();
        Ok(Page {
            items,
            has_more,
            has_newer,
        })
    }

    /// Every invoice, newest first, optionally filtered.
    pub fn all(
        &self,
        reference_id: Option<&str>,
        account: Option<usize>,
        kind: Option<Kind>,
        limit: usize,
    ) -> Vec<Arc<Invoice>> {
        let mut out: Vec<Arc<Invoice>> = self
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

    /// Invoices by kind and status, refunds, and how many were evicted.
    pub fn counts(&self) -> Value {
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let (mut payments, mut payouts) = (0u64, 0u64);
        for inv in self.invoices.values() {
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
            "refunds": self.refunds.len(),
            "evicted": self.evicted,
            "by_status": by_status,
        })
    }
}
