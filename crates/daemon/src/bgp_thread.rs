//! The thread the BGP sessions and the BGP listener run on. The engine, the REST API and the
//! dataplane drivers share the main thread (an attach hands over between them without waking
//! another CPU); the sessions get their own, so that their keepalives and hold timers keep
//! time while the engine is busy — a long looking-glass answer, a burst of routes — and a
//! peer's UPDATEs are decoded while the engine applies the previous ones.

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

pub struct BgpThread {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BgpThread {
    pub fn start() -> std::io::Result<BgpThread> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bgp".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(BgpThread {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Runs `f` with the BGP thread's runtime as the current one: the tasks it spawns and the
    /// sockets it opens belong to that thread.
    pub fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        let _runtime = self.handle.enter();
        f()
    }

    /// Ends the thread, and with it whatever task still runs there (call once the sessions
    /// are closed).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}
