//! The site's files, and nothing else: a path is taken apart into plain names (no `..`,
//! no `.`-names, no backslashes or NULs), joined under the site folder, and what it names
//! must still be inside the folder once links are resolved. Pages go out with the session
//! token in a `<meta>` and a policy that lets their script talk to this server.

use std::path::{Path, PathBuf};

use axum::extract::OriginalUri;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use super::guard::refuse;
use crate::site::PAGE_CSP;

/// The static site's policy with `connect-src 'self'` added: the page's script calls the
/// API.
pub const SERVED_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
    img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

/// [`SERVED_CSP`] as every answer's header, with framing refused too (browsers take
/// `frame-ancestors` only from a header).
pub const HEADER_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
    img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// A page of the site as served: its policy widened to `SERVED_CSP`, and the session
/// token in `<meta name="arxrank-serve">`, which tells the script it is served and lets it
/// send marks, with where its profile's API is (`data-api`: `/api/`, or `/<name>/api/`
/// for one profile of several). A page that is not the site's (no policy of ours) is left
/// as it is.
pub fn served_html(page: &str, token: &str, api: &str) -> String {
    let ours = format!("content=\"{PAGE_CSP}\">");
    if !page.contains(&ours) {
        return page.to_owned();
    }
    let meta = format!("<meta name=\"arxrank-serve\" content=\"{token}\" data-api=\"{api}\">");
    page.replacen(&ours, &format!("content=\"{SERVED_CSP}\">\n{meta}"), 1)
}

/// The file under `site` that `path` (a request's, percent-encoded) names, if it is one.
pub(crate) fn resolve(site: &Path, path: &str) -> Option<PathBuf> {
    let mut file = site.to_path_buf();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let name = percent_decode(raw)?;
        let plain =
            !name.starts_with('.') && !name.contains(['\\', '\0', '/']) && !name.contains(':');
        if !plain {
            return None;
        }
        file.push(name);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let real = fs_err::canonicalize(&file).ok()?;
    (real.starts_with(site) && real.is_file()).then_some(real)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Answers a `GET` for a file of the site (`uri` without the site's prefix). A folder
/// asked for without its `/` is sent there, so the page's relative links resolve.
pub(crate) async fn serve_file(
    axum::extract::State(site): axum::extract::State<std::sync::Arc<super::Site>>,
    OriginalUri(original): OriginalUri,
    uri: Uri,
) -> Response {
    let dir = site.dir.clone();
    let path = uri.path().to_owned();
    let read = tokio::task::spawn_blocking(move || {
        let file = resolve(&dir, &path)?;
        fs_err::read(&file).ok().map(|bytes| (file, bytes))
    });
    let Ok(Some((file, bytes))) = read.await else {
        return refuse(StatusCode::NOT_FOUND, "no such page");
    };
    let asked = original.path();
    if !asked.ends_with('/')
        && file.file_name() == Some("index.html".as_ref())
        && !asked.ends_with("index.html")
    {
        return Redirect::permanent(&format!("{asked}/")).into_response();
    }
    let kind = content_type(&file);
    let body = if kind.starts_with("text/html") {
        let api = format!("{}api/", site.prefix);
        served_html(
            &String::from_utf8_lossy(&bytes),
            &site.common.tokens.session,
            &api,
        )
        .into_bytes()
    } else {
        bytes
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_site_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let site = fs_err::canonicalize(dir.path().join(".")).unwrap();
        let inner = site.join("site");
        fs_err::create_dir_all(inner.join("days")).unwrap();
        fs_err::write(inner.join("index.html"), "i").unwrap();
        fs_err::write(inner.join("days/2025-05-13.html"), "d").unwrap();
        fs_err::write(site.join("secret.txt"), "s").unwrap();
        fs_err::write(inner.join(".hidden"), "h").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(site.join("secret.txt"), inner.join("link.html")).unwrap();
        assert_eq!(resolve(&inner, "/"), Some(inner.join("index.html")));
        assert_eq!(
            resolve(&inner, "/days/2025%2D05-13.html"),
            Some(inner.join("days/2025-05-13.html"))
        );
        for bad in [
            "/../secret.txt",
            "/days/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/..%5csecret.txt",
            "/.hidden",
            "/link.html",
            "/missing.html",
            "/%zz",
            "/days/%00.html",
        ] {
            assert_eq!(resolve(&inner, bad), None, "{bad}");
        }
    }

    #[test]
    fn the_header_is_the_page_policy_and_no_framing() {
        assert_eq!(HEADER_CSP, format!("{SERVED_CSP}; frame-ancestors 'none'"));
    }

    #[test]
    fn served_pages_carry_the_token_and_the_wider_policy() {
        let page = format!(
            "<head>\n<meta http-equiv=\"Content-Security-Policy\" content=\"{PAGE_CSP}\">\n</head>"
        );
        let served = served_html(&page, "abc", "/moe/api/");
        assert!(served.contains(&format!("content=\"{SERVED_CSP}\">")));
        assert!(
            served.contains("<meta name=\"arxrank-serve\" content=\"abc\" data-api=\"/moe/api/\">")
        );
        assert!(!served.contains(&format!("content=\"{PAGE_CSP}\"")));
        assert_eq!(served_html("<p>other</p>", "abc", "/api/"), "<p>other</p>");
    }
}
