//! A bounded pool for CPU-heavy work asked for by requests (matching a need, ranking needs for a
//! researcher, searching, posting), off the runtime that serves requests: its own runtime with
//! a fixed number of threads. A server's request handlers only wait for it, so a burst of heavy
//! requests queues here instead of starving every other request of the serving threads.

use crate::{EngineError, Result};
use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Handle, Runtime};

/// The name of the pool's threads.
const THREAD_NAME: &str = "kobler-work";

/// Threads of the work pool: the cores the machine has, at least two.
fn pool_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// The pool, started on first use (a command that never offloads never starts it).
#[derive(Default)]
pub(crate) struct WorkPool {
    runtime: OnceLock<std::result::Result<Runtime, String>>,
}

impl std::fmt::Debug for WorkPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkPool").finish_non_exhaustive()
    }
}

impl WorkPool {
    fn handle(&self) -> Result<Handle> {
        let runtime = self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(pool_threads())
                .thread_name(THREAD_NAME)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        });
        match runtime {
            Ok(runtime) => Ok(runtime.handle().clone()),
            Err(reason) => Err(EngineError::Io(format!(
                "the work pool could not start: {reason}"
            ))),
        }
    }

    /// Runs `work` on the pool and waits for it. Called from within the pool, it runs in place
    /// (a task that waited for another task of its own pool could wait for ever).
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        if std::thread::current().name() == Some(THREAD_NAME) {
            return work.await;
        }
        let handle = self.handle()?;
        match handle.spawn(work).await {
            Ok(result) => result,
            Err(error) if error.is_panic() => Err(EngineError::Io(
                "a task of the work pool panicked (logged)".into(),
            )),
            Err(_) => Err(EngineError::NotReady(
                "the work pool is shutting down".into(),
            )),
        }
    }
}

impl Drop for WorkPool {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime (where the last
        // engine clone of a server or a test is often dropped); shut it down without waiting.
        if let Some(Ok(runtime)) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_pool_and_the_pool_drops_inside_a_runtime() {
        let pool = WorkPool::default();
        let name = pool
            .run(async { Ok(std::thread::current().name().map(str::to_string)) })
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("kobler-work"));
        let failed: Result<()> = pool
            .run(async { Err(EngineError::Invalid("no".into())) })
            .await;
        assert!(matches!(failed, Err(EngineError::Invalid(_))));
        drop(pool);
    }
}
