//! Who may talk to the server, checked in front of every route.
//!
//! - A loopback server answers only requests whose `Host` is loopback (`127.0.0.1`,
//!   `localhost`, `[::1]`) with its port: a page elsewhere that points its own name at
//!   127.0.0.1 (DNS rebinding) is refused before it can read a page or its token.
//! - A server on any other address needs the access token, once in the URL (`?access=`),
//!   then from a cookie that only this host gets (`HttpOnly`, `SameSite=Strict`).
//! - Every request that changes state needs the session token in `X-Arxrank-Token`, which
//!   only the server's own pages carry, and, where the browser names an `Origin`, this
//!   server's origin. A form or script on another site can send neither.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ServeError;

/// The header a change of state carries the session token in.
pub const TOKEN_HEADER: &str = "x-arxrank-token";
const ACCESS_COOKIE: &str = "arxrank_access";

/// The server's secrets, drawn from the operating system's random source at start.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Required on every request that changes state; written into the served pages.
    pub session: String,
    /// Required on every request when the server listens beyond loopback.
    pub access: Option<String>,
    /// The `Host` values a loopback server answers (none: any, behind the access token).
    hosts: Option<Vec<String>>,
}

impl Tokens {
    pub fn new(addr: SocketAddr) -> Result<Self, ServeError> {
        let loopback = addr.ip().is_loopback();
        let port = addr.port();
        Ok(Tokens {
            session: random_token()?,
            access: if loopback {
                None
            } else {
                Some(random_token()?)
            },
            hosts: loopback.then(|| {
                ["127.0.0.1", "localhost", "[::1]"]
                    .iter()
                    .map(|h| format!("{h}:{port}"))
                    .collect()
            }),
        })
    }

    /// The URL to open: the bound address, with the access token where one is needed.
    pub fn url(&self, addr: SocketAddr) -> String {
        match &self.access {
            Some(t) => format!("http://{addr}/?access={t}"),
            None => format!("http://{addr}/"),
        }
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        host.is_some_and(|h| hosts.iter().any(|a| a.eq_ignore_ascii_case(h)))
    }

    fn has_access(&self, headers: &HeaderMap) -> bool {
        let Some(access) = &self.access else {
            return true;
        };
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(k, v)| k == ACCESS_COOKIE && same(v, access))
    }

    /// A change of state: the session token, and this server's origin where one is named.
    fn may_change(&self, headers: &HeaderMap) -> bool {
        let token = headers.get(TOKEN_HEADER).and_then(|t| t.to_str().ok());
        if !token.is_some_and(|t| same(t, &self.session)) {
            return false;
        }
        match headers.get(header::ORIGIN) {
            None => true,
            Some(origin) => {
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
                let origin = origin.to_str().ok();
                matches!((origin, host), (Some(o), Some(h)) if o.strip_prefix("http://") == Some(h))
            }
        }
    }
}

/// Compares secrets in time that does not depend on where they first differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn random_token() -> Result<String, ServeError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServeError::Usage(format!("no random source for the server's token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The guard in front of every route, and the headers every answer carries.
pub(crate) async fn check(
    State(state): State<std::sync::Arc<super::Common>>,
    request: Request,
    next: Next,
) -> Response {
    let tokens = &state.tokens;
    let headers = request.headers();
    let mut response = if !tokens.host_allowed(headers) {
        refuse(
            StatusCode::FORBIDDEN,
            "this server answers only to its loopback address",
        )
    } else if let Some(r) = grant_access(tokens, &request) {
        r
    } else if !tokens.has_access(headers) {
        refuse(
            StatusCode::UNAUTHORIZED,
            "open the URL arxrank serve printed, with its access token",
        )
    } else if request.method() != Method::GET
        && request.method() != Method::HEAD
        && !tokens.may_change(headers)
    {
        refuse(
            StatusCode::FORBIDDEN,
            "a change needs this server's page: cross-origin, or without its session token",
        )
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(super::files::HEADER_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `?access=TOKEN` with the right token: the cookie set, and the same page without the
/// token in its URL (so it stays out of the history and of links).
fn grant_access(tokens: &Tokens, request: &Request) -> Option<Response> {
    let access = tokens.access.as_ref()?;
    let query = request.uri().query()?;
    let given = query.split('&').find_map(|kv| kv.strip_prefix("access="))?;
    if !same(given, access) {
        return Some(refuse(StatusCode::UNAUTHORIZED, "wrong access token"));
    }
    let cookie = format!("{ACCESS_COOKIE}={access}; HttpOnly; SameSite=Strict; Path=/");
    let mut r = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, request.uri().path().to_owned())],
    )
        .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("hex token"),
    );
    Some(r)
}

pub(crate) fn refuse(status: StatusCode, why: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": why }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_answers_its_own_host_and_changes_need_token_and_origin() {
        let t = Tokens::new("127.0.0.1:8080".parse().unwrap()).unwrap();
        assert!(t.access.is_none());
        assert_eq!(t.session.len(), 48);
        assert!(t.host_allowed(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(t.host_allowed(&headers(&[("host", "localhost:8080")])));
        assert!(!t.host_allowed(&headers(&[("host", "evil.example:8080")])));
        assert!(!t.host_allowed(&headers(&[("host", "127.0.0.1:9999")])));
        assert!(!t.host_allowed(&HeaderMap::new()));

        let s = t.session.clone();
        let ok = [("host", "127.0.0.1:8080"), ("x-arxrank-token", s.as_str())];
        assert!(t.may_change(&headers(&ok)));
        let mut same_origin = ok.to_vec();
        same_origin.push(("origin", "http://127.0.0.1:8080"));
        assert!(t.may_change(&headers(&same_origin)));
        let mut cross = ok.to_vec();
        cross.push(("origin", "http://evil.example"));
        assert!(!t.may_change(&headers(&cross)));
        assert!(!t.may_change(&headers(&[("host", "127.0.0.1:8080")])));
        let wrong = "0".repeat(48);
        assert!(!t.may_change(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-arxrank-token", wrong.as_str())
        ])));
    }

    #[test]
    fn beyond_loopback_every_request_needs_the_access_cookie() {
        let t = Tokens::new("0.0.0.0:8080".parse().unwrap()).unwrap();
        let a = t.access.clone().unwrap();
        assert_ne!(a, t.session);
        assert!(t
            .url("0.0.0.0:8080".parse().unwrap())
            .ends_with(&format!("?access={a}")));
        assert!(t.host_allowed(&headers(&[("host", "lab-box:8080")])));
        assert!(!t.has_access(&HeaderMap::new()));
        let cookie = format!("x=1; arxrank_access={a}");
        assert!(t.has_access(&headers(&[("cookie", cookie.as_str())])));
        assert!(!t.has_access(&headers(&[("cookie", "arxrank_access=nope")])));
    }
}
