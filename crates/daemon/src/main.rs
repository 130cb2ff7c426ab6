//! `bagpipe-bgp`: the BGP VPN daemon, a drop-in replacement for the original's.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use bagpipe_daemon::config::Config;
use bagpipe_daemon::log_file::LogFile;
use bagpipe_daemon::looking_glass::{LogRing, DEFAULT_LOG_RING_CAPACITY};
use bagpipe_daemon::{open_files, startup};
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// BGP VPN daemon for OpenStack compute nodes (E-VPN, IP VPN, RT Constraint).
#[derive(Parser, Debug)]
#[command(name = "bagpipe-bgp", version)]
struct Args {
    /// The original's INI file (/etc/bagpipe-bgp/bgp.conf); without it, a built-in default:
    /// local address 127.0.0.1, no peers, dummy dataplanes, API on 127.0.0.1:8082.
    #[arg(long = "config-file")]
    config_file: Option<PathBuf>,
    /// Write logs to this file instead of standard error.
    #[arg(long = "log-file")]
    log_file: Option<PathBuf>,
    /// Log debug messages.
    #[arg(long)]
    debug: bool,
    /// Log JSON lines instead of human-readable ones.
    #[arg(long = "log-json")]
    log_json: bool,
}

/// Sets up logging; returns the log file, if logs go to one.
fn init_logging(args: &Args, config: &Config, ring: &LogRing) -> anyhow::Result<Option<LogFile>> {
    let debug = args.debug || config.logging.debug;
    let default = if debug { "debug" } else { "info" };
    let filter = EnvFilter::try_from_env("BAGPIPE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let json = args.log_json || config.logging.use_json;
    let file = args
        .log_file
        .clone()
        .or_else(|| config.logging.log_file.clone());
    // Colours only for a person watching a terminal, not in files or journald.
    let ansi = file.is_none() && std::io::stderr().is_terminal();
    let log_file = file
        .map(|path| LogFile::open(&path).with_context(|| format!("log file {}", path.display())))
        .transpose()?;
    let writer = match &log_file {
        Some(f) => BoxMakeWriter::new(f.clone()),
        None => BoxMakeWriter::new(std::io::stderr),
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false);
    let fmt = if json {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(ring.layer())
        .try_init()?;
    Ok(log_file)
}

/// The engine, the REST API and the dataplane drivers run on this thread (the BGP sessions on
/// one of their own: `startup`). An attach goes from the connection's task to the engine's and
/// back, and sets off the dataplane and BGP work; on a multi-thread runtime each hand-over
/// could wake another worker thread (another CPU: an inter-processor interrupt, on a VM an exit
/// to the hypervisor), which cost more than the work itself. On one thread, bench-attach's
/// median over six interleaved runs went from 3.9k to 8.1k attach/s for one client opening a
/// connection per request (as the agent does), 7.3k to 9.4k for four.
fn main() -> anyhow::Result<()> {
    let began = Instant::now();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(began))
}

async fn run(began: Instant) -> anyhow::Result<()> {
    let args = Args::parse();
    let loaded = match &args.config_file {
        Some(path) => Config::load(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => bagpipe_daemon::config::Loaded {
            config: Config::builtin(),
            warnings: Vec::new(),
        },
    };
    let ring = LogRing::new(DEFAULT_LOG_RING_CAPACITY);
    let log_file = init_logging(&args, &loaded.config, &ring)?;
    for w in &loaded.warnings {
        tracing::warn!("configuration: {w}");
    }
    match open_files::raise_soft_limit() {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
    let local = loaded.config.bgp.local_address;
    let daemon = startup::start(loaded.config, ring).await?;
    let api = daemon.api_addr;
    println!(
        "bagpipe-bgp {} ready in {} ms: REST API http://{api}/ (attach_localport, detach_localport, ping), looking glass http://{api}/looking-glass, BGP {}",
        env!("CARGO_PKG_VERSION"),
        began.elapsed().as_millis(),
        match daemon.bgp_addr {
            Some(a) => format!("listening on {a}, local address {local}"),
            None => format!("not listening, local address {local}"),
        }
    );
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    // SIGHUP would end the daemon without a clean stop; it reopens the log file instead
    // (logrotate's `postrotate`).
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => reopen(log_file.as_ref()),
        }
    }
    tracing::info!("signal received, stopping");
    daemon.stop().await;
    Ok(())
}

fn reopen(log_file: Option<&LogFile>) {
    let Some(f) = log_file else {
        tracing::info!("SIGHUP received: no log file to reopen");
        return;
    };
    match f.reopen() {
        Ok(()) => tracing::info!(path = %f.path().display(), "SIGHUP received: log file reopened"),
        Err(e) => {
            tracing::error!(path = %f.path().display(), error = %e, "SIGHUP received: cannot reopen the log file, still writing to the old one")
        }
    }
}
