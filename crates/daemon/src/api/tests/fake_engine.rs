//! A stand-in for the engine task: answers the API's commands the way the real engine
//! will for a few trigger values, and records what it was asked.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::api::{self, ApiCommand, ApiError, ApiState};
use crate::config::Config;
use crate::looking_glass::{
    answer, DaemonInfo, DaemonLookingGlass, EngineLookingGlass, LgEntry, LgObject, LogRing,
    SummaryCounts,
};

/// A running API server with its fake engine; stops both when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// `"attach <vpn_instance_id>"`, `"detach <mac>"`, `"lg <path>"` for each command.
    pub seen: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Attach `vpn_instance_id` values that make the fake engine answer otherwise than OK.
pub const TYPE_CLASH: &str = "type-clash";
pub const DATAPLANE_FAILURE: &str = "dataplane-failure";
pub const NO_REPLY: &str = "no-reply";

pub async fn start(addr: SocketAddr) -> TestServer {
    start_with(addr, true).await
}

/// `with_engine: false` runs the server with no engine behind it.
pub async fn start_with(addr: SocketAddr, with_engine: bool) -> TestServer {
    let (commands, receiver) = mpsc::channel(64);
    let seen = Arc::new(Mutex::new(Vec::new()));
    if with_engine {
        tokio::spawn(fake_engine(receiver, seen.clone()));
    } else {
        drop(receiver);
    }
    let listener = api::bind(addr, 1024).unwrap();
    let mut state = ApiState::new(commands, addr);
    state.engine_timeout = std::time::Duration::from_secs(2);
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        seen,
        stop: Some(stop),
    }
}

async fn fake_engine(mut commands: mpsc::Receiver<ApiCommand>, seen: Arc<Mutex<Vec<String>>>) {
    let (info, config, logs) = (
        DaemonInfo::starting_now(),
        Config::builtin(),
        LogRing::new(10),
    );
    while let Some(command) = commands.recv().await {
        match command {
            ApiCommand::Attach { request, reply } => {
                seen.lock()
                    .unwrap()
                    .push(format!("attach {}", request.vpn_instance_id));
                let answer = match request.vpn_instance_id.as_str() {
                    TYPE_CLASH => Err(ApiError::bad_request(
                        "vpn_type",
                        "instance type-clash exists with vpn_type evpn",
                    )),
                    DATAPLANE_FAILURE => Err(ApiError::Failed {
                        message: "could not create the VXLAN device".into(),
                    }),
                    NO_REPLY => continue,
                    _ => Ok(()),
                };
                let _ = reply.send(answer);
            }
            ApiCommand::Detach { request, reply } => {
                seen.lock()
                    .unwrap()
                    .push(format!("detach {}", request.mac_address));
                let _ = reply.send(Ok(()));
            }
            ApiCommand::LookingGlass {
                path,
                base_url,
                reply,
            } => {
                seen.lock().unwrap().push(format!("lg {}", path.join("/")));
                let root = DaemonLookingGlass {
                    info: &info,
                    config: &config,
                    logs: &logs,
                    engine: &FakeState,
                };
                let _ = reply.send(answer(&root, &base_url, &path));
            }
        }
    }
}

struct FakeState;

impl EngineLookingGlass for FakeState {
    fn summary_counts(&self) -> SummaryCounts {
        SummaryCounts {
            established_peers: 1,
            local_routes: 3,
            received_routes: 3,
            vpn_instances: 2,
        }
    }

    fn bgp(&self) -> Box<dyn LgObject + '_> {
        Box::new(Node(json!({"route_counts": {"local_routes_count": 3}})))
    }

    fn vpns(&self) -> Box<dyn LgObject + '_> {
        Box::new(Node(json!({"instances_per_vni": {}})))
    }
}

/// An object whose entries are the members of a JSON object, all shown inline.
struct Node(serde_json::Value);

impl LgObject for Node {
    fn entries(&self) -> Vec<(String, LgEntry<'_>)> {
        self.0
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), LgEntry::Value(v.clone())))
            .collect()
    }
}
