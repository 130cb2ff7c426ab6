//! `bagpipe-rest-attach`: attaches a local port to (or detaches it from) a VPN instance of
//! bagpipe-bgp through its REST API, optionally creating the port as a network namespace
//! plugged by a veth pair — the original tool's options, defaults, request and messages.
//!
//! Differences from the original, each for a reason given where it is done: the request
//! and the answer are printed as text (not Python `b'...'` reprs), usage mistakes are found
//! before anything is created, `--attract-to-rt` is sent as `to_rt` (see `body`), and a
//! successful detach removes what attach created (see `netns`).

mod address;
mod args;
mod body;
mod netns;
mod plan;
mod shell;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use crate::api_port::default_api_port;
use crate::http::{base_url, post_json, HttpError};
use args::Args;
use netns::check_link;
use plan::Plan;
use shell::{run, OnFailure};

pub fn main() -> ExitCode {
    let args = Args::parse();
    let plan = match Plan::new(&args) {
        Ok(plan) => plan,
        Err(usage) => Args::command()
            .error(ErrorKind::ValueValidation, usage)
            .exit(),
    };
    let url = format!(
        "{}/{}_localport",
        base_url(&args.server, args.api_port.unwrap_or_else(default_api_port)),
        if plan.attach { "attach" } else { "detach" }
    );
    match run_plan(plan, &url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run_plan(mut plan: Plan, url: &str) -> Result<(), String> {
    let request = &mut plan.request;
    if plan.chosen_gateway {
        println!("using {} as gateway address", request.gateway_ip);
    }
    if let Some(ns) = &plan.netns {
        if plan.attach {
            let mac = Some(request.mac_address.as_str()).filter(|m| !m.is_empty());
            ns.plug(&request.ip_address, &request.gateway_ip, mac)?;
        }
        if request.mac_address.is_empty() {
            request.mac_address = ns.mac()?;
        }
        println!("Local port: {} ({})", ns.host_if, request.mac_address);
        check_link(&ns.host_if)?;
    }
    if let Some(evpn) = &request.local_port.evpn {
        println!("will plug evpn {} into the IPVPN", evpn.id);
    }
    if let (Some(bridge), Some(port), true) =
        (&plan.ovs_bridge, &request.local_port.linuxif, plan.attach)
    {
        println!("pre-plugging {port} into {bridge}");
        run(
            &format!("ovs-vsctl del-port {bridge} {port}"),
            OnFailure::Warn,
        )?;
        run(
            &format!("ovs-vsctl add-port {bridge} {port}"),
            OnFailure::Stop,
        )?;
    }

    let json = request.to_json();
    println!("request: {json}");
    match post_json(url, &json) {
        Ok((code, answer)) => println!("response: {code} {answer}"),
        Err(HttpError::Status { code, reason, body }) => {
            println!("   {body}");
            return Err(format!("error {code}, reason: {reason}"));
        }
        // The transport error names the URL.
        Err(e) => return Err(format!("error: {e}")),
    }

    if !plan.attach {
        unplug(&plan)?;
    }
    Ok(())
}

/// After a detach the daemon accepted: undoes what attach did to the host (the original
/// left it; on a refused detach nothing is touched, so that it can be retried).
fn unplug(plan: &Plan) -> Result<(), String> {
    if let (Some(bridge), Some(port)) = (&plan.ovs_bridge, &plan.request.local_port.linuxif) {
        run(
            &format!("ovs-vsctl del-port {bridge} {port}"),
            OnFailure::Warn,
        )?;
    }
    if let Some(ns) = &plan.netns {
        ns.unplug()?;
    }
    Ok(())
}
