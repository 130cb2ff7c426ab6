//! `bagpipe-bgp-cleanup`: removes every dataplane entry bagpipe-bgp's Linux drivers created
//! (devices, FDB and neighbour entries, addresses, policy rules, routes — see
//! `bagpipe_dataplane::owned` for how they are told apart) and nothing anybody else
//! created. Run it with the daemon stopped.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "bagpipe-bgp-cleanup",
    about = "Remove the dataplane state left by bagpipe-bgp's Linux drivers, and only that"
)]
struct Args {
    /// The daemon's configuration file. Accepted as the original's command did; what to
    /// remove is told by marks in the kernel, not by the configuration.
    #[arg(long = "config-file", value_name = "PATH")]
    config_file: Vec<std::path::PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bagpipe-bgp-cleanup: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bagpipe_dataplane::remove_owned_entries()) {
        Ok(report) if args.json => {
            println!("{}", serde_json::json!({ "removed": report.removed }));
            ExitCode::SUCCESS
        }
        Ok(report) => {
            println!(
                "bagpipe-bgp dataplane cleaned up: {} entries removed",
                report.removed
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bagpipe-bgp-cleanup: {e} (run as root, with the daemon stopped)");
            ExitCode::FAILURE
        }
    }
}
