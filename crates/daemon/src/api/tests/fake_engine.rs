//! A stand-in for the engine task: answers the API's commands the way the real engine
//! will for a few trigger values, and records what it was asked.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::api::{self, ApiCommand, ApiError, ApiState};
use crate::config::Config;
use crate::looking_glass::fake_engine::FakeEngine;
use crate::looking_glass::{answer, Answer, DaemonInfo, DaemonLookingGlass, LogRing};
use crate::metrics::{EngineMetrics, InstanceMetrics, PeerMetrics};
use bagpipe_dataplane::{DriverStats, TaskCounters};
use bagpipe_speaker::status::CountersSnapshot;

/// A looking-glass path whose answer the fake engine leaves to be written later, slowly (as
/// the real one does for route lists), noting how many such writers run at once.
pub const SLOW_WRITE: &str = "slow-write";

/// A looking-glass path whose answer is streamed, 64 MiB of it: more than the connection's
/// buffers hold, so that a client that does not read stalls its writer.
pub const BIG_STREAM: &str = "big-stream";

/// How long the test server lets a client leave a streamed answer unread.
pub const WRITE_STALL: Duration = Duration::from_millis(500);

/// How long the test server waits for a request body.
pub const BODY_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Default)]
pub struct Writers {
    pub running: AtomicUsize,
    pub most_at_once: AtomicUsize,
    /// The most writers running when the engine was asked for another slow answer.
    pub most_running_when_asked: AtomicUsize,
}

impl Writers {
    /// An answer written in 100 ms, as `{}`.
    fn slow_answer(self: &Arc<Self>) -> Answer {
        let w = Arc::clone(self);
        Answer::Later(Box::new(move || {
            let now = w.running.fetch_add(1, Ordering::SeqCst) + 1;
            w.most_at_once.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            w.running.fetch_sub(1, Ordering::SeqCst);
            Ok(json!({}))
        }))
    }
}

/// A running API server with its fake engine; stops both when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// `"attach <vpn_instance_id>"`, `"detach <mac>"`, `"lg <path>"` for each command.
    pub seen: Arc<Mutex<Vec<String>>>,
    pub writers: Arc<Writers>,
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
    let writers = Arc::new(Writers::default());
    if with_engine {
        tokio::spawn(fake_engine(receiver, seen.clone(), writers.clone()));
    } else {
        drop(receiver);
    }
    let listener = api::bind(addr, 1024).unwrap();
    let mut state = ApiState::new(commands, addr);
    state.engine_timeout = std::time::Duration::from_secs(2);
    state.write_stall_timeout = WRITE_STALL;
    state.body_timeout = BODY_TIMEOUT;
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        seen,
        writers,
        stop: Some(stop),
    }
}

async fn fake_engine(
    mut commands: mpsc::Receiver<ApiCommand>,
    seen: Arc<Mutex<Vec<String>>>,
    writers: Arc<Writers>,
) {
    let (info, config, logs) = (
        DaemonInfo::starting_now(),
        Config::builtin(),
        LogRing::new(10),
    );
    let engine = FakeEngine {
        bgp: json!({"route_counts": {"local_routes_count": 3}}),
        vpns: json!({"instances_per_vni": {}}),
    };
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
                if path.iter().any(|p| p == BIG_STREAM) {
                    let _ = reply.send(Ok(Answer::Stream(Box::new(|out| {
                        let chunk = [b' '; 64 * 1024];
                        for _ in 0..1024 {
                            out.write_all(&chunk)?;
                        }
                        Ok(())
                    }))));
                    continue;
                }
                if path.iter().any(|p| p == SLOW_WRITE) {
                    let running = writers.running.load(Ordering::SeqCst);
                    writers
                        .most_running_when_asked
                        .fetch_max(running, Ordering::SeqCst);
                    let _ = reply.send(Ok(writers.slow_answer()));
                    continue;
                }
                let root = DaemonLookingGlass {
                    info: &info,
                    config: &config,
                    logs: &logs,
                    engine: &engine,
                };
                let _ = reply.send(answer(&root, &base_url, &path));
            }
            ApiCommand::Metrics { reply } => {
                seen.lock().unwrap().push("metrics".into());
                let _ = reply.send(fake_metrics());
            }
        }
    }
}

/// One established peer with 7 paths, one VRF with two ports and a failing dataplane.
fn fake_metrics() -> EngineMetrics {
    EngineMetrics {
        version: "0.0.0-test",
        peers: vec![PeerMetrics {
            address: "192.0.2.1".into(),
            state: bagpipe_speaker::State::Established,
            uptime_seconds: Some(42),
            counters: CountersSnapshot {
                updates_received: 5,
                ..CountersSnapshot::default()
            },
            paths: 7,
        }],
        paths_received: 7,
        paths_local: 2,
        destinations: vec![("ipv4/mpls-vpn".into(), 9)],
        instances: vec![InstanceMetrics {
            id: "net \"1\"".into(),
            vpn_type: "ipvpn",
            endpoints: 2,
            destinations: 7,
        }],
        dataplane: vec![(
            "ipvpn",
            DriverStats {
                driver: "linux",
                counters: TaskCounters {
                    reconciles: 3,
                    failures: 1,
                    created: 4,
                    ..TaskCounters::default()
                },
                instances: 1,
                failed_instances: 1,
                pending_instances: 0,
            },
        )],
        warnings: 1,
        errors: 0,
    }
}
