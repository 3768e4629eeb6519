//! A few threads of our own for argon2, one per core. Each hash works in 19 MiB for tens of
//! milliseconds, so the number running at once bounds the memory a login flood can take; and
//! on their own threads they never occupy the blocking pool that database calls need, so pages
//! stay fast while someone hammers the sign-in form.

use std::sync::mpsc;

use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug, thiserror::Error)]
#[error("the password hashing threads have stopped")]
pub struct HashingStopped;

pub struct HashingPool {
    jobs: mpsc::Sender<Job>,
    /// One per thread: a flood waits here, in the async world, instead of queueing closures.
    permits: Semaphore,
}

impl HashingPool {
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take the next job, not while running it.
                        let next = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match next {
                            // A panicking job loses its answer (the caller sees an error), not
                            // the thread.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            // Every sender is gone: the app has shut down.
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        HashingPool {
            jobs,
            permits: Semaphore::new(threads),
        }
    }

    /// Runs `f` on a hashing thread once one is free.
    pub async fn run<T, F>(&self, f: F) -> Result<T, HashingStopped>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.permit().await?.run(f).await
    }

    /// Waits for a free hashing thread and reserves it. A caller that waited a long time in a
    /// flood can look again at whether the work is still wanted before spending it.
    pub async fn permit(&self) -> Result<Permit<'_>, HashingStopped> {
        let permit = self.permits.acquire().await.map_err(|_| HashingStopped)?;
        Ok(Permit {
            jobs: &self.jobs,
            _permit: permit,
        })
    }
}

/// A reserved hashing thread; dropping it unused gives it back.
pub struct Permit<'a> {
    jobs: &'a mpsc::Sender<Job>,
    _permit: SemaphorePermit<'a>,
}

impl Permit<'_> {
    pub async fn run<T, F>(self, f: F) -> Result<T, HashingStopped>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| HashingStopped)?;
        rx.await.map_err(|_| HashingStopped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_on_its_own_threads() {
        let pool = HashingPool::new(2);
        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.is_some_and(|n| n.starts_with("argon2-")));
        let results = futures_util::future::join_all((0..8).map(|i| pool.run(move || i * 2))).await;
        let sum: i32 = results.into_iter().map(Result::unwrap).sum();
        assert_eq!(sum, 56);
    }
}
