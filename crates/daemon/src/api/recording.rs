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
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state
        .requests
        .observe(&method, &path, response.status(), began.elapsed());
    response
}
