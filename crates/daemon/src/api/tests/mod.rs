//! The API over real HTTP, against a fake engine task.

mod client;
mod fake_engine;
mod http;
mod openapi;
pub(super) mod raw;
