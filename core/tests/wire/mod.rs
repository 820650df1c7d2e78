//! A raw HTTP/1.1 server for the client's edge tests: each request gets whatever a script says,
//! byte for byte (any status, headers, body, a trickle, a dropped or stalled connection), and
//! every request line is logged. Creates commit to a small invoice store, as a gateway would.
//! Shared by several test crates and the `client_wire` fuzz target, each using a part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, extra headers, body; `Content-Length` is added.
    Answer(u16, Vec<(String, String)>, Vec<u8>),
    /// Headers with this `Content-Length`, then the body a few bytes at a time.
    Trickle {
        status: u16,
        body: Vec<u8>,
        chunk: usize,
        every: Duration,
    },
    /// Close the connection without answering.
    Drop,
    /// Keep the connection open and never answer.
    Stall,
    /// Headers and a part of the body, then close.
    Truncate(u16, Vec<u8>),
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Answer(status, Vec::new(), body.to_string().into_bytes())
    }
}

/// What the script sees: the request line, its body, and how many requests came before.
pub struct Seen<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub body: &'a [u8],
    pub index: usize,
}

pub type Script = dyn Fn(&Seen<'_>, &Store) -> Reply + Send + Sync;

/// The invoices a create commits (`commit`) and a lookup finds (`find`).
#[derive(Clone, Default)]
pub struct Store(Arc<Mutex<Vec<Value>>>);

impl Store {
    /// Commits the create in `body` unless its reference exists; returns the invoice.
    pub fn commit(&self, body: &[u8]) -> Value {
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let attributes = &request["data"]["attributes"];
        let reference = attributes["reference_id"].as_str().unwrap_or("").to_owned();
        let mut invoices = self.0.lock().unwrap();
        if let Some(found) = invoices
            .iter()
            .find(|i| i["attributes"]["reference_id"] == reference.as_str())
        {
            return found.clone();
        }
        let invoice = json!({
            "type": "payment-invoices", "id": format!("cpi_{}", invoices.len() + 1),
            "attributes": {"reference_id": reference, "status": "created",
                           "amount": attributes["amount"], "currency": attributes["currency"]}
        });
        invoices.push(invoice.clone());
        invoice
    }

    pub fn find(&self, reference: &str) -> Vec<Value> {
        let invoices = self.0.lock().unwrap();
        invoices
            .iter()
            .filter(|i| i["attributes"]["reference_id"] == reference)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// The reference a lookup asks for (`filter[reference_id]`), if the target is one.
pub fn filtered_reference(target: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "filter[reference_id]")
        .map(|(_, v)| v.into_owned())
}

/// A lookup answer as a well-behaved gateway gives it.
pub fn lookup_answer(store: &Store, target: &str) -> Reply {
    let found = filtered_reference(target).map_or_else(Vec::new, |r| store.find(&r));
    Reply::json(200, json!({"links": {"next": ""}, "data": found}))
}

pub struct Server {
    pub base: String,
    pub log: Arc<Mutex<Vec<String>>>,
    pub store: Store,
    /// The accept loop and every connection's task, ended when the server is dropped (a
    /// fuzzer runs thousands of servers in one process; stalled connections would pile up).
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl Server {
    pub async fn start(script: Arc<Script>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = Store::default();
        let tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (server_log, server_store, server_tasks) =
            (Arc::clone(&log), store.clone(), Arc::clone(&tasks));
        let accept = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (log, store, script) = (
                    Arc::clone(&server_log),
                    server_store.clone(),
                    Arc::clone(&script),
                );
                let connection = tokio::spawn(serve(socket, log, store, script));
                server_tasks.lock().unwrap().push(connection.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Server {
            base,
            log,
            store,
            tasks,
        }
    }

    pub fn requests(&self, prefix: &str) -> usize {
        let log = self.log.lock().unwrap();
        log.iter().filter(|l| l.starts_with(prefix)).count()
    }
}

async fn serve(
    mut socket: TcpStream,
    log: Arc<Mutex<Vec<String>>>,
    store: Store,
    script: Arc<Script>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some((line, body, used)) = read_request(&mut socket, &mut buffer).await else {
            return;
        };
        buffer.drain(..used);
        let index = {
            let mut log = log.lock().unwrap();
            log.push(line.clone());
            log.len() - 1
        };
        let mut parts = line.split(' ');
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let seen = Seen {
            method,
            target,
            body: &body,
            index,
        };
        let reply = script(&seen, &store);
        let head = |status: u16, headers: &[(String, String)], length: usize| {
            let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {length}\r\n");
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            head.into_bytes()
        };
        let written = match reply {
            Reply::Answer(status, headers, body) => {
                let mut bytes = head(status, &headers, body.len());
                bytes.extend_from_slice(&body);
                socket.write_all(&bytes).await
            }
            Reply::Trickle {
                status,
                body,
                chunk,
                every,
            } => {
                let mut result = socket.write_all(&head(status, &[], body.len())).await;
                for part in body.chunks(chunk.max(1)) {
                    if result.is_err() {
                        break;
                    }
                    tokio::time::sleep(every).await;
                    result = socket.write_all(part).await;
                }
                result
            }
            Reply::Drop => return,
            Reply::Stall => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Reply::Truncate(status, body) => {
                let mut bytes = head(status, &[], body.len() + 100);
                bytes.extend_from_slice(&body);
                let _ = socket.write_all(&bytes).await;
                return;
            }
        };
        if written.is_err() {
            return;
        }
    }
}

/// One request: its request line, its `Content-Length` body and the bytes it took.
async fn read_request(
    socket: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Option<(String, Vec<u8>, usize)> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let l = l.to_ascii_lowercase();
                    l.strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            let total = end + 4 + length;
            if buffer.len() >= total {
                let line = head.lines().next().unwrap_or("").to_owned();
                let line = line
                    .rsplit_once(' ')
                    .map_or(line.clone(), |(l, _)| l.to_owned());
                return Some((line, buffer[end + 4..total].to_vec(), total));
            }
        }
        let mut chunk = [0u8; 8192];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

pub mod scenario;
