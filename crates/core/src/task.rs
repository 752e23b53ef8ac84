//! Tasks on any [`Runtime`]: a join handle that can be awaited, aborted and given done
//! callbacks, and a task group that gathers many results in input order.

use crate::runtime::Runtime;
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
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

pin_project_lite::pin_project! {
    /// A spawned task's future: polls the body until it completes or is aborted, then reports.
    /// Written by hand rather than as an `async` block around the body, which would store the
    /// body twice (once captured, once being awaited) and double every task's memory.
    struct TaskFuture<F: Future, D> {
        #[pin]
        body: Option<F>,
        cell: Rc<TaskCell<F::Output>>,
        on_finish: Option<D>,
    }
}

impl<F: Future, D: FnOnce(bool)> Future for TaskFuture<F, D> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let outcome = if this.cell.abort_requested.get() {
            Err(JoinError::Cancelled)
        } else {
            let Some(body) = this.body.as_mut().as_pin_mut() else {
                return Poll::Ready(());
            };
            match body.poll(cx) {
                Poll::Ready(v) => Ok(v),
                Poll::Pending => {
                    park(&this.cell.task_waker, cx);
                    return Poll::Pending;
                }
            }
        };
        // Drop the body first, so whatever it records on drop (an interrupted sleep) comes
        // before the task's end.
        this.body.set(None);
        if let Some(on_finish) = this.on_finish.take() {
            on_finish(outcome.is_err());
        }
        this.cell.complete(outcome);
        Poll::Ready(())
    }
}

// What does not depend on the task's body is kept out of `TaskFuture::poll`, which is
// instantiated once per kind of task: one copy per result type instead (the playground ships
// every scenario's tasks).

/// Keeps the waker a pending task was polled with.
#[inline(never)]
fn park(slot: &RefCell<Option<Waker>>, cx: &Context<'_>) {
    let mut slot = slot.borrow_mut();
    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
    }
}

impl<T> TaskCell<T> {
    /// The task ended with `outcome`: done callbacks run, the result is kept, the joiner wakes.
    #[inline(never)]
    fn complete(&self, outcome: Result<T, JoinError>) {
        self.finished.set(true);
        self.task_waker.borrow_mut().take();
        let callbacks = std::mem::take(&mut *self.callbacks.borrow_mut());
        for callback in callbacks {
            callback(&outcome);
        }
        *self.result.borrow_mut() = Some(outcome);
        let joiner = self.join_waker.borrow_mut().take();
        if let Some(w) = joiner {
            w.wake();
        }
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
    rt.spawn(TaskFuture {
        body: Some(future),
        cell: cell.clone(),
        on_finish: Some(on_finish),
    });
    JoinHandle { cell }
}

struct GroupState<T> {
    results: RefCell<Vec<Option<T>>>,
    remaining: Cell<usize>,
    waker: RefCell<Option<Waker>>,
}

pin_project_lite::pin_project! {
    /// One task of a group: a hand-written future for the same reason as [`TaskFuture`].
    struct GroupTask<F: Future, D> {
        #[pin]
        body: F,
        state: Rc<GroupState<F::Output>>,
        index: usize,
        on_done: Option<D>,
    }
}

impl<F: Future, D: FnOnce()> Future for GroupTask<F, D> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let value = match this.body.poll(cx) {
            Poll::Ready(v) => v,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(on_done) = this.on_done.take() {
            on_done();
        }
        let state = this.state;
        state.results.borrow_mut()[*this.index] = Some(value);
        let left = state.remaining.get() - 1;
        state.remaining.set(left);
        if left == 0 {
            let waker = state.waker.borrow_mut().take();
            if let Some(w) = waker {
                w.wake();
            }
        }
        Poll::Ready(())
    }
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
        self.spawn_with(rt, future, || {});
    }

    /// Spawns a task into the group; `on_done` runs when it completes.
    pub fn spawn_with<R: Runtime>(
        &self,
        rt: &R,
        future: impl Future<Output = T> + 'static,
        on_done: impl FnOnce() + 'static,
    ) {
        let index = {
            let mut results = self.state.results.borrow_mut();
            results.push(None);
            results.len() - 1
        };
        self.state.remaining.set(self.state.remaining.get() + 1);
        rt.spawn(GroupTask {
            body: future,
            state: self.state.clone(),
            index,
            on_done: Some(on_done),
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
