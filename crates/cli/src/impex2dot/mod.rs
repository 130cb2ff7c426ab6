//! `bagpipe-impex2dot`: draws which VPN instances of one or more bagpipe-bgp servers import
//! and export which route targets, as a Graphviz graph read from their looking glasses.
//!
//! Differences from the original: a stable order of lines (see `dot`), the FlowSpec
//! "attract traffic" edges actually drawn (see `gather`), path segments quoted in URLs,
//! and a failed request reported on stderr with status 1 (the original printed it among the
//! graph on stdout, then a Python traceback).

mod dot;
mod gather;
mod model;

use std::process::ExitCode;

use bagpipe_daemon::looking_glass::{link, LOOKING_GLASS_BASE};
use clap::Parser;

use crate::api_port::default_api_port;
use crate::http::{base_url, get_json, HttpError};
use crate::json::Json;
use dot::render;
use gather::{instances, Source};

#[derive(Parser, Debug)]
#[command(
    name = "bagpipe-impex2dot",
    about = "Draw the route targets imported and exported by bagpipe-bgp VPN instances, as Graphviz dot",
    after_help = "Example: bagpipe-impex2dot --server s1 --server s2 | dot -Tpdf > impex.pdf",
    infer_long_args = true
)]
struct Args {
    /// IP address of a BaGPipe BGP instance (can be given several times) [default: localhost]
    #[arg(long = "server")]
    servers: Vec<String>,
    /// Port of BaGPipe BGP [default: the [API] port of /etc/bagpipe-bgp/bgp.conf, or 8082]
    #[arg(long)]
    port: Option<u16>,
    /// Looking-glass URL prefix
    #[arg(long, default_value = LOOKING_GLASS_BASE)]
    prefix: String,
}

/// The looking glasses of servers over HTTP.
struct LookingGlasses {
    port: u16,
    prefix: String,
}

/// A request that failed, with its URL.
struct Failed(String, HttpError);

impl Source for LookingGlasses {
    type Error = Failed;

    fn node(&self, server: &str, path: &[&str]) -> Result<Option<Json>, Failed> {
        let base = format!("{}/{}", base_url(server, self.port), self.prefix);
        let url = path.iter().fold(base, |url, segment| link(&url, segment));
        match get_json(&url) {
            Ok(node) => Ok(Some(node)),
            Err(HttpError::Status { code: 404, .. }) => Ok(None),
            Err(e) => Err(Failed(url, e)),
        }
    }
}

pub fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.servers.is_empty() {
        args.servers.push("localhost".to_owned());
    }
    let source = LookingGlasses {
        port: args.port.unwrap_or_else(default_api_port),
        prefix: args.prefix,
    };
    match instances(&source, &args.servers) {
        Ok(instances) => {
            print!("{}", render(&instances));
            ExitCode::SUCCESS
        }
        Err(Failed(url, e)) => {
            eprintln!("Error requesting {url}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn testdata(file: &str) -> String {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/impex2dot");
        std::fs::read_to_string(dir.join(file)).unwrap()
    }

    /// Looking glasses as `{server: {path: node}}`.
    struct Recorded(Json);

    impl Source for Recorded {
        type Error = ();

        fn node(&self, server: &str, path: &[&str]) -> Result<Option<Json>, ()> {
            let server = self.0.get(server).ok_or(())?;
            Ok(server.get(&path.join("/")).cloned())
        }
    }

    #[test]
    fn draws_every_feature_as_the_original() {
        let source = Recorded(testdata("state.json").parse().unwrap());
        let servers = ["localhost".to_owned(), "10.0.0.2".to_owned()];
        let drawn = render(&instances(&source, &servers).unwrap());
        assert_eq!(drawn, testdata("two-servers.dot"));
    }
}
