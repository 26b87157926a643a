//! The routes: the reader's marks (`/api/feedback`), search by meaning (`/api/search`,
//! `/api/similar`), and the site's files for everything else.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::guard::refuse;
use super::{Common, ServeError, Site, State as Shared};
use crate::history::Neighbour;
use crate::ingest::{Day, PaperId};

/// The most papers a search returns.
const MAX_K: usize = 100;

/// The whole server: one profile's routes at `/`, or each profile's at `/<name>/` and the
/// overview's site (`root`) at `/`; the guard in front of all of them.
pub(crate) fn router(
    common: Arc<Common>,
    root: Option<Arc<Site>>,
    profiles: Vec<Arc<Shared>>,
) -> Router {
    let app = match root {
        None => profiles
            .into_iter()
            .map(profile)
            .fold(Router::new(), Router::merge),
        Some(root) => profiles
            .into_iter()
            .fold(Router::new(), |app, p| {
                let at = p.site.prefix.trim_end_matches('/').to_owned();
                app.nest(&at, profile(p))
            })
            .fallback_service(get(super::files::serve_file).with_state(root)),
    };
    app.layer(axum::middleware::from_fn_with_state(
        common,
        super::guard::check,
    ))
    .layer(DefaultBodyLimit::max(super::BODY_LIMIT))
}

/// One profile's routes: its marks, the search (whose cards link to its pages), and its
/// site's files.
fn profile(state: Arc<Shared>) -> Router {
    let files = get(super::files::serve_file).with_state(state.site.clone());
    Router::new()
        .route("/api/feedback", get(marks).post(mark))
        .route("/api/search", get(search))
        .route("/api/similar", get(similar))
        .fallback_service(files)
        .with_state(state)
}

/// Runs blocking work off the async workers; a failure is a 500 naming it.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServeError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
        Err(e) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

/// `GET /api/feedback`: the reader's current marks, `{"marks": {id: 1 | -1}}`.
async fn marks(State(state): State<Arc<Shared>>) -> Response {
    let work = move || {
        if !state.log.is_file() {
            return Ok(serde_json::Map::new());
        }
        let read = crate::labels::feedback::read_feedback(&state.log)
            .map_err(|e| ServeError::Usage(e.to_string()))?;
        Ok(read
            .marks
            .iter()
            .map(|f| (f.id.to_string(), json!(if f.liked { 1 } else { -1 })))
            .collect())
    };
    match blocking(work).await {
        Ok(m) => Json(json!({ "marks": m })).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkBody {
    id: String,
    label: i8,
    day: Day,
}

/// `POST /api/feedback` `{"id", "label", "day"}`: appended to the log, on disk before the
/// answer. Label 1 likes, -1 dislikes, 0 takes the mark back.
async fn mark(State(state): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: MarkBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            let why = format!("the mark is not {{\"id\", \"label\", \"day\"}}: {e}");
            return refuse(StatusCode::BAD_REQUEST, &why);
        }
    };
    let Some(id) = PaperId::parse(&body.id) else {
        let why = format!("{:?} is not an arXiv id", body.id);
        return refuse(StatusCode::BAD_REQUEST, &why);
    };
    if !matches!(body.label, -1..=1) {
        let why = format!("label {} is not 1, -1 or 0", body.label);
        return refuse(StatusCode::BAD_REQUEST, &why);
    }
    let (label, day) = (body.label, body.day);
    let work = move || {
        if !super::is_known(&state, &id)? {
            return Ok(Err(id));
        }
        let _one_at_a_time = state.common().writing.lock().expect("writing lock");
        crate::labels::feedback::append(&state.log, &[(id.clone(), label, day)])
            .map_err(|e| ServeError::Usage(e.to_string()))?;
        Ok(Ok(id))
    };
    match blocking(work).await {
        Ok(Ok(id)) => Json(json!({ "id": id.to_string(), "label": label })).into_response(),
        Ok(Err(id)) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("unknown paper {id}: it is in no digest and not in the history"),
        ),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
    k: Option<usize>,
}

#[derive(Deserialize)]
struct SimilarQuery {
    id: String,
    k: Option<usize>,
}

/// A paper found, as the page lists it.
#[derive(Serialize)]
struct Found {
    id: String,
    title: String,
    day: Option<String>,
    cosine: f32,
    url: String,
    /// The paper's card on this site, when a day page holds it.
    page: Option<String>,
}

fn found(state: &Shared, hits: Vec<Neighbour>) -> Vec<Found> {
    hits.into_iter()
        .map(|n| {
            let day = n.paper.date.map(|d| d.to_string());
            let page = day.as_ref().and_then(|d| {
                let rel = format!("days/{d}.html");
                let site = &state.site;
                (site.dir.join(&rel).is_file())
                    .then(|| format!("{}{rel}#paper-{}", site.prefix, n.paper.id))
            });
            Found {
                url: n.paper.id.abs_url(),
                id: n.paper.id.to_string(),
                title: n.paper.title,
                day,
                cosine: n.cosine,
                page,
            }
        })
        .collect()
}

/// `GET /api/search?q=…[&k=…]`: the history's papers nearest to the words.
async fn search(State(state): State<Arc<Shared>>, Query(q): Query<SearchQuery>) -> Response {
    if q.q.trim().is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "the query is empty");
    }
    let k = q.k.unwrap_or(20).clamp(1, MAX_K);
    let work = move || {
        let history = state.common().history()?;
        let mut embedder = state.common().embedder.lock().expect("embedder lock");
        let hits = crate::pipeline::search::search(&mut *embedder, &history, &q.q, k)
            .map_err(|e| ServeError::Usage(e.to_string()))?;
        drop(embedder);
        Ok(found(&state, hits))
    };
    match blocking(work).await {
        Ok(hits) => Json(json!({ "results": hits })).into_response(),
        Err(r) => r,
    }
}

/// `GET /api/similar?id=…[&k=…]`: the history's papers nearest to a stored paper, itself
/// left out.
async fn similar(State(state): State<Arc<Shared>>, Query(q): Query<SimilarQuery>) -> Response {
    let Some(id) = PaperId::parse(&q.id) else {
        return refuse(StatusCode::BAD_REQUEST, "not an arXiv id");
    };
    let k = q.k.unwrap_or(20).clamp(1, MAX_K);
    let work = move || {
        let history = state.common().history()?;
        let Some(v) = history.vector(&id) else {
            return Ok(None);
        };
        let v = v.into_owned();
        let hits = history.nearest(&v, k + 1, |p| p.id != id);
        Ok(Some(found(&state, hits.into_iter().take(k).collect())))
    };
    match blocking(work).await {
        Ok(Some(hits)) => Json(json!({ "results": hits })).into_response(),
        Ok(None) => refuse(
            StatusCode::NOT_FOUND,
            "that paper is not in the history (only ranked or backfilled papers are)",
        ),
        Err(r) => r,
    }
}
