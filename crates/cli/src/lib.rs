//! Operator tools: bagpipe-rest-attach, bagpipe-looking-glass, bagpipe-impex2dot, bagpipe-bgp-cleanup, bagpipe-bgp-decode.
pub mod decode;
