//! Every answered request, counted in the metrics by the route it matched.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::ApiState;

pub(crate) async fn record_request(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let began = Instant::now();
    let method = request.method().clone();
    // The route as axum shares it (an `Arc`), not a copy of its text.
    let path = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let path = path.as_ref().map_or("", MatchedPath::as_str);
    state
        .requests
        .observe(&method, path, response.status(), began.elapsed());
    response
}
