//! Work that blocks (execution, disk reads, fsync) runs on tasks the runtime allows to block,
//! never inline on the async executor.

use commonware_runtime::Spawner;

/// Runs `job` on a task that may block (execution, fsync); `None` if the runtime stopped it.
pub(crate) async fn blocking<E, T>(runtime: &E, job: impl FnOnce() -> T + Send + 'static) -> Option<T>
where
    E: Spawner,
    T: Send + 'static,
{
    runtime
        .child("execute")
        .shared(true)
        .spawn(move |_| async move { job() })
        .await
        .ok()
}
