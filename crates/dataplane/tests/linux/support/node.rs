//! A dataplane driver running inside a node's namespace, as the daemon would run it there:
//! a thread enters the namespace, then builds its runtime and netlink socket.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use bagpipe_dataplane::{
    spawn_driver, DataplaneDriver, DriverHandle, InstanceState, InstanceUpdate,
};
use tokio::sync::oneshot;

use bagpipe_testbed::netns::enter;

pub struct NodeDriver<S: InstanceState> {
    pub handle: DriverHandle<S>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl<S: InstanceState> NodeDriver<S> {
    /// Starts the driver `make` builds, in namespace `ns`.
    pub fn start<D>(ns: &str, make: impl FnOnce() -> D + Send + 'static) -> Self
    where
        D: DataplaneDriver<State = S>,
    {
        let ns = ns.to_string();
        let (handle_tx, handle_rx) = std_mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            enter(&ns);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                handle_tx.send(spawn_driver(make())).expect("test gone");
                let _ = stopped.await;
            });
        });
        NodeDriver {
            handle: handle_rx.recv().expect("driver thread died"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Applies the whole state (`None`: removes the instance) and waits until the kernel has
    /// it; panics on a driver error.
    pub async fn set(&self, id: u32, state: Option<S>) {
        let update = state.map_or(InstanceUpdate::Remove, InstanceUpdate::Replace);
        self.handle.update(id, update).await.expect("driver gone");
        let failed = self.handle.flush().await.expect("driver gone");
        assert!(failed.is_empty(), "reconcile failed: {failed:?}");
    }
}

impl<S: InstanceState> Drop for NodeDriver<S> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
