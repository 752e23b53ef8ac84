//! Tasks on any [`Runtime`]: a join handle that can be awaited, aborted and given done
//! callbacks, and a task group that gathers many results in input order.

use crate::runtime::Runtime;
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Why a task produced no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The task was cancelled before it finished.
    #[error("the task was cancelled")]
    Cancelled,
}

type Callback<T> = Box<dyn FnOnce(&Result<T, JoinError>)>;

struct TaskCell<T> {
    result: RefCell<Option<Result<T, JoinError>>>,
    finished: Cell<bool>,
    abort_requested: Cell<bool>,
    join_waker: RefCell<Option<Waker>>,
    task_waker: RefCell<Option<Waker>>,
    callbacks: RefCell<Vec<Callback<T>>>,
}

/// A handle to a spawned task. Awaiting it yields the task's result, or
/// [`JoinError::Cancelled`]. Dropping it does not cancel the task (as with asyncio tasks).
pub struct JoinHandle<T> {
    cell: Rc<TaskCell<T>>,
}

impl<T> Clone for JoinHandle<T> {
    fn clone(&self) -> Self {
        JoinHandle {
            cell: self.cell.clone(),
        }
    }
}

impl<T: 'static> JoinHandle<T> {
    /// Asks the task to stop: it is dropped at its next scheduling point and its result is
    /// [`JoinError::Cancelled`]. Returns false if it had already finished.
    pub fn abort(&self) -> bool {
        if self.cell.finished.get() {
            return false;
        }
        self.cell.abort_requested.set(true);
        if let Some(w) = self.cell.task_waker.borrow_mut().take() {
            w.wake();
        }
        true
    }

    /// Whether the task has finished (completed or cancelled).
    pub fn is_finished(&self) -> bool {
        self.cell.finished.get()
    }

    /// Runs `callback` with the task's result when it finishes (at once if it already has and
    /// its result has not been taken).
    pub fn add_done_callback(&self, callback: impl FnOnce(&Result<T, JoinError>) + 'static) {
        if self.cell.finished.get() {
            if let Some(result) = self.cell.result.borrow().as_ref() {
                callback(result);
            }
        } else {
            self.cell.callbacks.borrow_mut().push(Box::new(callback));
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.cell.finished.get() {
            if let Some(result) = self.cell.result.borrow_mut().take() {
                return Poll::Ready(result);
            }
            // Taken by an earlier await of a clone: behave like an awaited-twice cancelled task.
            return Poll::Ready(Err(JoinError::Cancelled));
        }
        *self.cell.join_waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Spawns `future` on `rt`. `on_finish(cancelled)` runs when it completes or is cancelled,
/// before any done callback and before the joiner wakes.
pub(crate) fn spawn_task<R, F>(
    rt: &R,
    future: F,
    on_finish: impl FnOnce(bool) + 'static,
) -> JoinHandle<F::Output>
where
    R: Runtime,
    F: Future + 'static,
{
    let cell = Rc::new(TaskCell {
        result: RefCell::new(None),
        finished: Cell::new(false),
        abort_requested: Cell::new(false),
        join_waker: RefCell::new(None),
        task_waker: RefCell::new(None),
        callbacks: RefCell::new(Vec::new()),
    });
    let task_cell = cell.clone();
    rt.spawn(async move {
        let outcome = {
            let mut future = pin!(future);
            poll_fn(|cx| {
                if task_cell.abort_requested.get() {
                    return Poll::Ready(Err(JoinError::Cancelled));
                }
                let poll = future.as_mut().poll(cx);
                if poll.is_pending() {
                    let mut slot = task_cell.task_waker.borrow_mut();
                    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *slot = Some(cx.waker().clone());
                    }
                }
                poll.map(Ok)
            })
            .await
        };
        on_finish(outcome.is_err());
        task_cell.finished.set(true);
        task_cell.task_waker.borrow_mut().take();
        let callbacks = std::mem::take(&mut *task_cell.callbacks.borrow_mut());
        for callback in callbacks {
            callback(&outcome);
        }
        *task_cell.result.borrow_mut() = Some(outcome);
        if let Some(w) = task_cell.join_waker.borrow_mut().take() {
            w.wake();
        }
    });
    JoinHandle { cell }
}

struct GroupState<T> {
    results: RefCell<Vec<Option<T>>>,
    remaining: Cell<usize>,
    waker: RefCell<Option<Waker>>,
}

/// Many tasks whose results are gathered in the order they were spawned (asyncio's `gather`).
/// Costs no allocation per task beyond the task itself, so it scales to a million tasks.
pub struct TaskGroup<T> {
    state: Rc<GroupState<T>>,
}

impl<T: 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T: 'static> TaskGroup<T> {
    /// An empty group.
    pub fn new() -> TaskGroup<T> {
        TaskGroup {
            state: Rc::new(GroupState {
                results: RefCell::new(Vec::new()),
                remaining: Cell::new(0),
                waker: RefCell::new(None),
            }),
        }
    }

    /// Reserves room for `n` more tasks.
    pub fn reserve(&self, n: usize) {
        self.state.results.borrow_mut().reserve(n);
    }

    /// Spawns a task into the group.
    pub fn spawn<R: Runtime>(&self, rt: &R, future: impl Future<Output = T> + 'static) {
        let index = {
            let mut results = self.state.results.borrow_mut();
            results.push(None);
            results.len() - 1
        };
        self.state.remaining.set(self.state.remaining.get() + 1);
        let state = self.state.clone();
        rt.spawn(async move {
            let value = future.await;
            state.results.borrow_mut()[index] = Some(value);
            let left = state.remaining.get() - 1;
            state.remaining.set(left);
            if left == 0 {
                if let Some(w) = state.waker.borrow_mut().take() {
                    w.wake();
                }
            }
        });
    }

    /// Waits for every task and returns their results in spawn order.
    pub async fn join_all(self) -> Vec<T> {
        poll_fn(|cx| {
            if self.state.remaining.get() == 0 {
                Poll::Ready(())
            } else {
                *self.state.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        std::mem::take(&mut *self.state.results.borrow_mut())
            .into_iter()
            .flatten()
            .collect()
    }
}

/// When [`wait`] returns (asyncio's `return_when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// When every task has finished.
    AllCompleted,
    /// When any task has finished.
    FirstCompleted,
    /// When any task has failed, or every task has finished.
    FirstException,
}

struct WaitState {
    waker: Option<Waker>,
    finished: usize,
    failed: usize,
}

/// Waits for tasks as asyncio's `wait` does: until `when` is met or `timeout` expires. Returns
/// the indexes of the finished tasks and of the pending ones; results stay in the handles.
/// `is_failure` tells which results count as exceptions.
pub async fn wait<R: Runtime, T: 'static>(
    rt: &R,
    handles: &[JoinHandle<T>],
    timeout: Option<std::time::Duration>,
    when: ReturnWhen,
    is_failure: fn(&T) -> bool,
) -> (Vec<usize>, Vec<usize>) {
    let state = Rc::new(RefCell::new(WaitState {
        waker: None,
        finished: 0,
        failed: 0,
    }));
    for h in handles {
        let state = state.clone();
        h.add_done_callback(move |result| {
            let mut s = state.borrow_mut();
            s.finished += 1;
            if result.as_ref().is_ok_and(is_failure) {
                s.failed += 1;
            }
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        });
    }
    let total = handles.len();
    let condition = poll_fn(|cx| {
        let mut s = state.borrow_mut();
        let met = match when {
            ReturnWhen::AllCompleted => s.finished == total,
            ReturnWhen::FirstCompleted => s.finished >= 1 || total == 0,
            ReturnWhen::FirstException => s.failed >= 1 || s.finished == total,
        };
        if met {
            Poll::Ready(())
        } else {
            s.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    });
    match timeout {
        Some(limit) => {
            let _ = crate::sync::timeout(rt, limit, condition).await;
        }
        None => condition.await,
    }
    let (done, pending): (Vec<usize>, Vec<usize>) =
        (0..total).partition(|&i| handles[i].is_finished());
    (done, pending)
}
