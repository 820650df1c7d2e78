//! ecommpay Payment Page sessions: one per opened payment page, kept until the oldest give way.

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value};

/// Payment Page sessions kept (the oldest go first).
pub const MAX_SESSIONS: usize = 10_000;

#[derive(Clone)]
pub struct Session {
    pub id: String,
    pub project_id: i64,
    /// The signed parameters of the page's URL.
    pub params: Map<String, Value>,
    pub created: chrono::DateTime<chrono::Utc>,
    /// A card waiting for its 3-D Secure confirmation.
    pub pending_card: Option<PendingCard>,
    /// The callback document, once paid or declined.
    pub result: Option<Value>,
}

#[derive(Clone)]
pub struct PendingCard {
    pub success: bool,
    /// The card as the callback's `account` object.
    pub account: Value,
}

#[derive(Default)]
pub struct Sessions {
    sessions: HashMap<String, Session>,
    order: VecDeque<String>,
}

impl Sessions {
    pub fn insert(&mut self, session: Session) {
        self.order.push_back(session.id.clone());
        self.sessions.insert(session.id.clone(), session);
        while self.order.len() > MAX_SESSIONS {
            if let Some(old) = self.order.pop_front() {
                self.sessions.remove(&old);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    /// Finished payments, newest first (admin).
    pub fn payments(&self, limit: usize) -> Vec<Value> {
        self.order
            .iter()
            .rev()
            .filter_map(|id| self.sessions.get(id))
            .filter_map(|s| s.result.clone())
            .take(limit)
            .collect()
    }
}
