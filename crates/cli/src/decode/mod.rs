//! `bagpipe-bgp-decode`: BGP messages in, one JSON object per message out, for troubleshooting
//! a peer (what did it really send?) without a packet analyser.
//!
//! Input is hex (arguments, or one message a line on stdin, with or without the 16-octet
//! marker) or a raw byte stream (`--raw FILE`, e.g. a TCP payload dump) split by the message
//! headers. The session context (4-octet AS, add-path families, extended messages) is given
//! by options, since the bytes alone cannot tell it.

mod input;
mod report;

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use bagpipe_wire::{CodecContext, Family};
use clap::Parser;

use report::Verdict;

#[derive(Debug, Parser)]
#[command(
    name = "bagpipe-bgp-decode",
    about = "Decode BGP messages (hex or a raw stream) into JSON, one object per line",
    after_help = "Exit status: 0 when every message is well-formed, 1 when any message is \
                  malformed (session reset or treat-as-withdraw), 2 on unusable input."
)]
pub struct Options {
    /// Messages as hex, with or without the 16-octet marker; none: one message a line on stdin.
    #[arg(value_name = "HEX", conflicts_with = "raw")]
    pub hex: Vec<String>,
    /// Read a raw byte stream (e.g. a TCP payload dump) from FILE ("-" for stdin) and split it
    /// into messages by their headers.
    #[arg(long, value_name = "FILE")]
    pub raw: Option<PathBuf>,
    /// AS numbers in AS_PATH and AGGREGATOR are 4 octets (RFC 6793); the default.
    #[arg(long, conflicts_with = "two_octet_as")]
    pub four_octet_as: bool,
    /// AS numbers in AS_PATH and AGGREGATOR are 2 octets (a peer without RFC 6793).
    #[arg(long)]
    pub two_octet_as: bool,
    /// Families whose NLRI carry add-path identifiers (RFC 7911), e.g. `ipv4/unicast,l2vpn/evpn`.
    #[arg(long, value_name = "FAMILY,...", value_delimiter = ',')]
    pub add_path: Vec<Family>,
    /// Messages may be up to 65535 octets (RFC 8654).
    #[arg(long)]
    pub extended_message: bool,
}

impl Options {
    pub fn context(&self) -> CodecContext {
        CodecContext {
            four_octet_as: !self.two_octet_as,
            extended_message: self.extended_message,
            add_path: self.add_path.clone(),
        }
    }
}

/// Runs the command; returns the process exit status.
pub fn main() -> i32 {
    let opts = Options::parse();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match run(&opts, &mut out) {
        Ok(status) => status,
        Err(e) => {
            let _ = out.flush();
            eprintln!("bagpipe-bgp-decode: {e}");
            2
        }
    }
}

/// Decodes every input message, writing one JSON line each; returns the exit status.
pub fn run(opts: &Options, out: &mut impl Write) -> io::Result<i32> {
    let ctx = opts.context();
    let (frames, framing) = match &opts.raw {
        Some(path) => {
            let mut data = Vec::new();
            if path.as_os_str() == "-" {
                io::stdin().read_to_end(&mut data)?;
            } else {
                data = std::fs::read(path).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
                })?;
            }
            input::frames(&data, &ctx)
        }
        None if opts.hex.is_empty() => {
            let lines: Vec<String> = io::stdin().lock().lines().collect::<Result<_, _>>()?;
            (input::from_hex(&lines)?, None)
        }
        None => (input::from_hex(&opts.hex)?, None),
    };
    let mut status = 0;
    for (index, frame) in frames.iter().enumerate() {
        let (json, verdict) = report::report(index, frame, &ctx);
        if let Verdict::Malformed(why) = &verdict {
            status = 1;
            eprintln!("message {index}: {why}");
        }
        writeln!(out, "{json}")?;
    }
    if let Some(f) = framing {
        status = 1;
        eprintln!("{f}");
        writeln!(out, "{}", f.to_json(frames.len()))?;
    }
    Ok(status)
}
