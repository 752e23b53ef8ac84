//! Chapter 4: asyncio and the event loop.

pub mod as_completed;
pub mod async_context_manager;
pub mod async_iterator;
pub mod await_sequential;
pub mod blocking_in_async;
pub mod cancel_all;
pub mod coroutine_lifecycle;
pub mod create_task;
pub mod done_callback;
pub mod event_loop_choice;
pub mod future_set_result;
pub mod gather_vs_wait;
pub mod sync_vs_async_requests;
pub mod two_tasks;
pub mod wait_timeout;
