//! `bagpipe-looking-glass`: prints a node of bagpipe-bgp's looking glass as the original
//! tool did (see `printer`).
//!
//! Differences from the original: errors exit with status 1 (it always exited 0), and error
//! bodies are printed as text rather than as Python `b'...'` reprs.

mod printer;
mod scalar;

use std::io::Write;
use std::process::ExitCode;

use bagpipe_daemon::looking_glass::{link, LOOKING_GLASS_BASE};
use clap::Parser;

use crate::api_port::default_api_port;
use crate::http::{base_url, get_json, HttpError};
use crate::json::Json;
use printer::{PrintError, Printer};

#[derive(Parser, Debug)]
#[command(
    name = "bagpipe-looking-glass",
    about = "Print a node of bagpipe-bgp's looking glass",
    after_help = "e.g.: bagpipe-looking-glass vpns instances",
    infer_long_args = true
)]
struct Args {
    /// IP address of BaGPipe BGP
    #[arg(long, default_value = "127.0.0.1")]
    server: String,
    /// Port of BaGPipe BGP [default: the [API] port of /etc/bagpipe-bgp/bgp.conf, or 8082]
    #[arg(long)]
    port: Option<u16>,
    /// Looking-glass URL prefix
    #[arg(long, default_value = LOOKING_GLASS_BASE)]
    prefix: String,
    /// Recurse down into the whole looking-glass below the node
    #[arg(short, long)]
    recurse: bool,
    /// Path to the node in the looking glass, one segment an argument
    path: Vec<String>,
}

pub fn main() -> ExitCode {
    let args = Args::parse();
    let port = args.port.unwrap_or_else(default_api_port);
    let stdout = std::io::stdout().lock();
    match run(&args, port, &get_json, stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            println!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Fetches the node at a URL.
type Fetch<'a> = &'a dyn Fn(&str) -> Result<Json, HttpError>;

/// Prints the node `args.path`, got with `fetch`, to `out`; on failure, returns the message
/// to print.
fn run(args: &Args, port: u16, fetch: Fetch, mut out: impl Write) -> Result<(), String> {
    let server = base_url(&args.server, port);
    let base = format!("{server}/{}", args.prefix);
    // The original asks for `<prefix>/` when given no path, and quotes each segment.
    let mut url = if args.path.is_empty() {
        format!("{base}/")
    } else {
        args.path
            .iter()
            .fold(base, |url, segment| link(&url, segment))
    };
    let failed = |e: HttpError, url: &str| match e {
        HttpError::Status { code: 404, .. } => format!(
            "No such looking glass path: {}\n({url})",
            quoted_path(&args.path)
        ),
        HttpError::Status { code, body, .. } => format!("Error code {code}: {body}"),
        HttpError::Transport(e) => format!("No server at {server} : {e}"),
        HttpError::NotJson(e) => format!("Invalid answer from {url}: {e}"),
    };
    let mut node = fetch(&url).map_err(|e| failed(e, &url))?;
    // A node that is a link (has an `href`) is replaced by the node it points to.
    if let Some(target) = node.get("href").and_then(|h| h.as_str()).map(str::to_owned) {
        node = fetch(&target).map_err(|e| failed(e, &url))?;
        url = target;
    }
    let result = Printer::new(&mut out, args.recurse.then_some(fetch)).print(&node, &url);
    out.flush().map_err(|e| e.to_string())?;
    match result {
        Ok(()) => Ok(()),
        Err(PrintError::Fetch(e)) => Err(failed(e, &url)),
        Err(PrintError::Output(e)) => Err(format!("cannot write the output: {e}")),
    }
}

/// The path segments quoted as in URLs, joined by spaces (how the original names a path
/// that does not exist).
fn quoted_path(path: &[String]) -> String {
    // `link` quotes a segment after a slash.
    path.iter()
        .map(|segment| link("", segment)[1..].to_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn testdata() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/original-lg")
    }

    /// The original daemon's recorded looking glass, served from `lg_B_<path>.json` files.
    /// A `logs` node that was not recorded is an empty list, as the recorded `logs` is.
    fn recorded(url: &str) -> Result<Json, HttpError> {
        let path = url.split_once("/looking-glass/").map_or("", |(_, p)| p);
        let key = path.trim_matches('/').replace('/', "_");
        let key = if key.is_empty() {
            "root".to_owned()
        } else {
            key
        };
        match std::fs::read_to_string(testdata().join(format!("lg_B_{key}.json"))) {
            Ok(text) => Ok(text.parse().expect("recorded JSON")),
            Err(_) if key.ends_with("logs") => Ok(Json::Array(Vec::new())),
            Err(_) => Err(HttpError::Status {
                code: 404,
                reason: "Not Found".into(),
                body: String::new(),
            }),
        }
    }

    /// What the tool prints for `argv`, error message included.
    fn output(argv: &[&str]) -> String {
        let fixed = [
            "bagpipe-looking-glass",
            "--server",
            "127.0.0.1",
            "--port",
            "18083",
        ];
        let args = Args::try_parse_from(fixed.iter().chain(argv)).unwrap();
        let mut out = Vec::new();
        let result = run(&args, 18083, &recorded, &mut out);
        let mut text = String::from_utf8(out).unwrap();
        if let Err(message) = result {
            text += &format!("{message}\n");
        }
        text
    }

    /// The expected texts are what the original tool printed for the same recorded answers
    /// (see testdata/original-lg/README.md).
    #[test]
    fn prints_the_recorded_tree_as_the_original() {
        let cases: [(&[&str], &str); 5] = [
            (&[], "root.txt"),
            (&["config"], "config.txt"),
            (&["bgp", "routes"], "bgp-routes.txt"),
            (&["-r", "vpns"], "vpns-recursive.txt"),
            // Stops at a node that was not recorded, with the original's message.
            (&["--recurse", "bgp"], "bgp-recursive.txt"),
        ];
        for (argv, file) in cases {
            let expected = std::fs::read_to_string(testdata().join("expected").join(file)).unwrap();
            assert_eq!(output(argv), expected, "{argv:?}");
        }
    }

    #[test]
    fn missing_path_and_quoting() {
        assert_eq!(
            output(&["vpns", "instances", "a b/c"]),
            "No such looking glass path: vpns instances a%20b/c\n\
             (http://127.0.0.1:18083/looking-glass/vpns/instances/a%20b/c)\n"
        );
    }
}
