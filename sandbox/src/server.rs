//! The HTTP server: routes, the outer middleware (request ids, statistics, fault injection),
//! and a hyper accept loop that can drop a connection without answering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State as Ax};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::config::SandboxConfig;
use crate::faults::{Action, Effect, REDIRECT_TARGET};
use crate::http::{self, DropConnection};
use crate::state::State;
use crate::{admin, api, ecommpay, gate, pages};

pub fn router(state: Arc<State>) -> Router {
    let admin = Router::new()
        .route("/config", get(admin::config))
        .route("/accounts", get(admin::accounts))
        .route("/invoices", get(admin::invoices))
        .route("/invoices/{id}", get(admin::invoice))
        .route("/invoices/{id}/status", post(admin::set_status))
        .route("/invoices/{id}/callbacks", post(admin::resend))
        .route("/callbacks", get(admin::callbacks))
        .route(
            "/faults",
            get(admin::faults_list)
                .post(admin::faults_add)
                .delete(admin::faults_clear),
        )
        .route("/faults/{id}", axum::routing::delete(admin::fault_delete))
        .route("/reset", post(admin::reset))
        .route("/stats", get(admin::stats))
        .route("/expire", post(admin::expire))
        .route(
            "/ecommpay/payments",
            get(admin::ecommpay_payments).post(ecommpay::pay_direct),
        )
        .route("/redirect-target", any(admin::redirect_target))
        .fallback(admin::not_found);
    Router::new()
        .route("/", get(pages::index))
        .route(
            "/api/payment-invoices",
            get(api::list_payments).post(api::create_payment),
        )
        .route("/api/payment-invoices/{id}", get(api::get_payment))
        .route("/api/payment-invoices/{id}/refund", post(api::refund))
        .route(
            "/api/payout-invoices",
            get(api::list_payouts).post(api::create_payout),
        )
        .route("/api/payout-invoices/{id}", get(api::get_payout))
        .route("/api/refunds", get(api::list_refunds))
        .route("/api/refunds/{id}", get(api::get_refund))
        .route("/api/payment-services", get(api::payment_services))
        .route("/api/payment-services/{id}", get(api::payment_service))
        .route("/api/payout-services", get(api::payout_services))
        .route("/api/payout-services/{id}", get(api::payout_service))
        .route("/api/account/balances", get(api::balances))
        .route(
            "/public-api/payment-prerequest",
            post(api::payment_prerequest),
        )
        .route(
            "/public-api/payout-prerequest",
            post(api::payout_prerequest),
        )
        .route("/public-api/payment-invoices", post(api::public_create))
        .route(
            "/public-api/payment-invoices/process",
            post(pages::process_post),
        )
        .route(
            "/public-api/payment-invoices/{id}",
            get(api::public_get_payment),
        )
        .route(
            "/public-api/payout-invoices/{id}",
            get(api::public_get_payout),
        )
        .route("/hpp", get(pages::hpp_get).post(pages::hpp_post))
        .route("/hpp/", get(pages::hpp_get).post(pages::hpp_post))
        .route("/hpp/pay/{id}", get(pages::pay_get).post(pages::pay_post))
        .route(
            "/hpp/3ds/{id}",
            get(pages::three_ds_get).post(pages::three_ds_post),
        )
        .route("/hpp/result/{id}", get(pages::result_get))
        .route("/ecommpay/payment", get(ecommpay::payment_get))
        .route(
            "/ecommpay/pay/{id}",
            get(ecommpay::pay_get).post(ecommpay::pay_post),
        )
        .route(
            "/ecommpay/3ds/{id}",
            get(ecommpay::three_ds_get).post(ecommpay::three_ds_post),
        )
        .route("/ecommpay/result/{id}", get(ecommpay::result_get))
        .route("/v2/payment/status", post(gate::status))
        .route("/v2/payment/status/request", post(gate::request_status))
        .route("/v2/payment/{*path}", post(gate::operation))
        .nest("/__sandbox", admin)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), outer))
        .with_state(state)
}

/// `GET /api/payment-invoices/{id}` for `GET /api/payment-invoices/cpi_…`: ids become `{id}`.
pub fn route_key(method: &str, path: &str) -> String {
    const ID_PREFIXES: &[&str] = &["cpi_", "cpoi_", "comcps_", "comcpos_", "ref_", "eps_"];
    let mut key = String::with_capacity(method.len() + path.len() + 1);
    key.push_str(method);
    key.push(' ');
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            key.push('/');
        }
        if ID_PREFIXES.iter().any(|p| segment.starts_with(p)) {
            key.push_str("{id}");
        } else {
            key.push_str(segment);
        }
    }
    key
}

/// Request id, statistics and fault injection around every request.
async fn outer(Ax(st): Ax<Arc<State>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    st.count_request(route_key(&method, &path));
    let request_id = st.ids.request_id();
    // The public API is called from merchants' web pages: allow any origin, answer preflights.
    let public = path.starts_with("/public-api/");
    if public && method == "OPTIONS" {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        let h = resp.headers_mut();
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static("content-type"),
        );
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("x-request-id", v);
        }
        return resp;
    }
    let fault = if path.starts_with("/__sandbox") {
        None
    } else {
        let mut faults = st.faults.lock().unwrap();
        if faults.is_empty() {
            None
        } else {
            faults.decide(&method, &path)
        }
    };
    let mut resp = match fault {
        None => next.run(req).await,
        // In its own task: like a real gateway, the sandbox finishes a request whose client
        // gave up (a timed-out create still commits), instead of dropping it with the connection.
        Some((rule, effect)) => tokio::spawn(async move {
            let mut resp = inject(&st, effect, req, next).await;
            if let Ok(v) = HeaderValue::from_str(&rule) {
                resp.headers_mut().insert("x-sandbox-fault", v);
            }
            resp
        })
        .await
        .unwrap_or_else(|_| http::status_error(500)),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    if public {
        resp.headers_mut()
            .insert("access-control-allow-origin", HeaderValue::from_static("*"));
    }
    resp
}

/// Carries out a fault's effect on one request.
async fn inject(st: &Arc<State>, effect: Effect, req: Request, next: Next) -> Response {
    if effect.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(effect.delay_ms)).await;
    }
    match effect.action {
        Action::Pass => next.run(req).await,
        Action::Status {
            status,
            retry_after,
            commit,
        } => {
            if commit {
                // The handler's own answer (201, 409 with data, …) is thrown away.
                drop(next.run(req).await);
            }
            http::fault_status(status, retry_after.as_deref())
        }
        Action::Reset => dropped(),
        Action::MalformedJson => {
            let bytes = body_bytes(next.run(req).await.into_body()).await;
            let cut = if bytes.len() > 1 { bytes.len() / 2 } else { 0 };
            let mut broken = bytes[..cut].to_vec();
            if broken.is_empty() {
                broken.extend_from_slice(b"{\"data\":");
            }
            http::bytes_response(StatusCode::OK, "application/json", broken)
        }
        Action::CreatedResponseLost => {
            let mut resp = next.run(req).await;
            resp.extensions_mut().insert(DropConnection);
            resp
        }
        Action::LateCommit { after_ms } => {
            // Read the whole request now: once the connection is closed its body is gone.
            let (parts, body) = req.into_parts();
            if let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await {
                let req = Request::from_parts(parts, Body::from(bytes));
                // Detached: it runs whatever happens to the connection (and is counted in the
                // statistics like any request, when it arrived).
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(after_ms)).await;
                    drop(next.run(req).await);
                });
            }
            dropped()
        }
        Action::WrongShape {
            status,
            body,
            commit,
        } => {
            if commit {
                drop(next.run(req).await);
            }
            http::bytes_response(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                "application/json",
                serde_json::to_vec(&body).expect("JSON"),
            )
        }
        Action::Redirect {
            status,
            location,
            commit,
        } => {
            if commit {
                drop(next.run(req).await);
            }
            let location = location.unwrap_or_else(|| format!("{}{REDIRECT_TARGET}", st.base_url));
            http::redirect_with(
                StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND),
                &location,
            )
        }
        Action::Trickle {
            chunk_bytes,
            interval_ms,
        } => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = body_bytes(body).await;
            // The trickled body's exact size sets Content-Length again.
            parts.headers.remove(header::CONTENT_LENGTH);
            let body = http::Trickle::new(bytes, chunk_bytes, Duration::from_millis(interval_ms));
            Response::from_parts(parts, Body::new(body))
        }
        Action::CyclicLinks { alternate } => {
            let own = req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
            let resp = next.run(req).await;
            cyclic_links(st, resp, &own, alternate).await
        }
    }
}

/// An empty response that makes the accept loop close the connection without answering.
fn dropped() -> Response {
    let mut resp = Response::new(Body::empty());
    resp.extensions_mut().insert(DropConnection);
    resp
}

async fn body_bytes(body: Body) -> Bytes {
    axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
}

/// Rewrites `links.next` of a 2xx JSON answer that has `links` so that following it loops:
/// back to the request itself, or (`alternate`) from any later page back to the first page,
/// whose own `next` is kept (so two pages alternate). Other answers pass unchanged.
async fn cyclic_links(st: &State, resp: Response, own: &str, alternate: bool) -> Response {
    if !resp.status().is_success() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = body_bytes(body).await;
    let mut doc: Value = match serde_json::from_slice(&bytes) {
        Ok(doc) => doc,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    let Some(links) = doc.get_mut("links").and_then(Value::as_object_mut) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let next = match alternate.then(|| first_page(own)) {
        // A later page: back to the first.
        Some(Some(first)) => first,
        // The first page: its real next page, if there is one.
        Some(None) => match links.get("next").and_then(Value::as_str) {
            Some(next) if !next.is_empty() => next.to_owned(),
            _ => own.to_owned(),
        },
        None => own.to_owned(),
    };
    links.insert("next".into(), Value::String(next));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(st.json_bytes(&doc)))
}

/// `path?query` without its page cursor (`page[after]`, `page[before]`, `page[number]`), or
/// `None` when it has none (it is the first page). Other parameters keep their spelling.
fn first_page(path_and_query: &str) -> Option<String> {
    let (path, query) = path_and_query.split_once('?')?;
    let is_cursor = |pair: &&str| {
        form_urlencoded::parse(pair.as_bytes())
            .next()
            .is_some_and(|(key, _)| {
                matches!(&*key, "page[after]" | "page[before]" | "page[number]")
            })
    };
    let pairs: Vec<&str> = query.split('&').collect();
    if !pairs.iter().any(is_cursor) {
        return None;
    }
    let kept: Vec<&str> = pairs.into_iter().filter(|p| !is_cursor(p)).collect();
    Some(if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    })
}

#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for ConnectionDropped {}

async fn accept_loop(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (stream, _peer) = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors and the like: back off a little.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let app = app.clone();
                async move {
                    let resp = match app.oneshot(req).await {
                        Ok(resp) => resp,
                        Err(never) => match never {},
                    };
                    if resp.extensions().get::<DropConnection>().is_some() {
                        // An error from the service makes hyper close the connection without
                        // writing a response: the client sees a connection error.
                        Err(ConnectionDropped)
                    } else {
                        Ok(resp)
                    }
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}

async fn sweeper(state: Arc<State>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => { state.expire_due(); }
        }
    }
}

/// Starts sandboxes.
pub struct Sandbox;

impl Sandbox {
    /// Binds, starts serving in the background and returns once listening.
    /// Must be called inside a Tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, String> {
        config.check()?;
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", config.host, config.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let host = match addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            ip => ip.to_string(),
        };
        let base_url = format!("http://{host}:{}", addr.port());
        let state = State::new(config, base_url.clone())?;
        let (tx, rx) = watch::channel(false);
        let app = router(state.clone());
        let server = tokio::spawn(accept_loop(listener, app, rx.clone()));
        let sweep = tokio::spawn(sweeper(state.clone(), rx));
        Ok(RunningSandbox {
            base_url,
            addr,
            state,
            shutdown: tx,
            tasks: vec![server, sweep],
        })
    }
}

/// A sandbox serving in the background; stops when dropped or on [`RunningSandbox::shutdown`].
pub struct RunningSandbox {
    base_url: String,
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `--print-config` document: base URL and the first account's and project's credentials.
    pub fn config_json(&self) -> Value {
        admin::config_json(&self.state)
    }

    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Stops accepting, closes open connections and stops callback workers.
    pub async fn shutdown(mut self) {
        self.stop();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }

    fn stop(&self) {
        let _ = self.shutdown.send(true);
        self.state.deliverer.reset();
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::first_page;

    #[test]
    fn first_page_drops_only_the_cursor() {
        assert_eq!(first_page("/api/payment-invoices"), None);
        assert_eq!(first_page("/api/payment-invoices?page[size]=2"), None);
        assert_eq!(
            first_page(
                "/api/payment-invoices?filter[reference_id]=a%26b&page[after]=cpi_1&page[size]=2"
            )
            .as_deref(),
            Some("/api/payment-invoices?filter[reference_id]=a%26b&page[size]=2")
        );
        assert_eq!(
            first_page("/api/payment-services?page%5Bnumber%5D=3").as_deref(),
            Some("/api/payment-services")
        );
        assert_eq!(
            first_page("/api/payout-invoices?page[before]=cpoi_9").as_deref(),
            Some("/api/payout-invoices")
        );
    }
}
