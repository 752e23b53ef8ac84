//! Stopping a native run from outside (the Stop button of a page served by `conlab serve`).

use conlab_core::Nanos;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Asks a native run to stop. Clones share the request: the run's loop (or its watchdog, for
/// OS threads) notices it and the run ends *stopped*, its trace partial and without checks.
#[derive(Clone, Default)]
pub struct StopSignal(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// When the stop was asked for, on the run's clock, plus one (0: not asked).
    at_plus_one: AtomicU64,
    /// Who waits for it: the run's loop, a load test's clients.
    waiting: Mutex<Vec<Waker>>,
}

impl StopSignal {
    /// Asks the run to stop; `at` is when, on the run's clock. The first request counts.
    pub fn request(&self, at: Nanos) {
        let first = self
            .0
            .at_plus_one
            .compare_exchange(0, at + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first {
            let waiting = std::mem::take(&mut *self.waiting());
            waiting.into_iter().for_each(Waker::wake);
        }
    }

    /// When the stop was asked for, if it was.
    pub fn requested(&self) -> Option<Nanos> {
        match self.0.at_plus_one.load(Ordering::Acquire) {
            0 => None,
            at => Some(at - 1),
        }
    }

    /// Resolves once a stop is asked for (on any runtime: it needs only a waker).
    pub fn asked(&self) -> impl Future<Output = ()> + '_ {
        Asked(self)
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Waker>> {
        self.0
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

struct Asked<'a>(&'a StopSignal);

impl Future for Asked<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let stop = self.0;
        if stop.requested().is_some() {
            return Poll::Ready(());
        }
        let mut waiting = stop.waiting();
        if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
            waiting.push(cx.waker().clone());
        }
        drop(waiting);
        // Looked at again once registered: a request in between has woken nobody.
        match stop.requested() {
            Some(_) => Poll::Ready(()),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_counts_and_a_later_waiter_still_sees_it() {
        let stop = StopSignal::default();
        assert_eq!(stop.requested(), None);
        stop.request(5);
        stop.request(9);
        assert_eq!(stop.requested(), Some(5));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        rt.block_on(stop.asked());
    }

    #[test]
    fn every_waiter_is_woken() {
        let stop = StopSignal::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let waiters: Vec<_> = (0..5)
                .map(|_| {
                    let stop = stop.clone();
                    tokio::task::spawn_local(async move { stop.asked().await })
                })
                .collect();
            tokio::task::yield_now().await;
            stop.request(1);
            for waiter in waiters {
                tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
                    .await
                    .expect("woken")
                    .expect("ran");
            }
        });
    }
}
