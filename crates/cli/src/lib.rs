//! Operator tools: bagpipe-rest-attach, bagpipe-looking-glass, bagpipe-impex2dot, bagpipe-bgp-cleanup, bagpipe-bgp-decode.
mod api_port;
pub mod decode;
mod http;
pub mod impex2dot;
mod json;
pub mod looking_glass;
pub mod rest_attach;
