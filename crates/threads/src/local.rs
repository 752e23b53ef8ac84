//! A thread-local variable, as Python's `threading.local()`: one object every thread shares,
//! in which each thread sees only what it set itself. Like CPython's pure-Python version, it
//! is a map keyed by the thread, on OS threads and on the scheduler alike. Reading and setting
//! it is not a step: no other thread can see or change a thread's own value.

use crate::Thread;
use conlab_core::LaneId;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A thread-local variable.
pub struct Local<T> {
    values: Arc<Mutex<BTreeMap<LaneId, T>>>,
}

impl<T> Clone for Local<T> {
    fn clone(&self) -> Self {
        Local {
            values: self.values.clone(),
        }
    }
}

impl<T> Default for Local<T> {
    fn default() -> Self {
        Local {
            values: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }
}

impl<T: Clone> Local<T> {
    /// A thread-local variable no thread has set yet.
    pub fn new() -> Local<T> {
        Local::default()
    }

    /// Sets this thread's value (`local.x = value`).
    pub fn set(&self, me: &Thread, value: T) {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.insert(me.lane(), value);
    }

    /// This thread's value, if it set one (`getattr(local, "x", None)`).
    pub fn get(&self, me: &Thread) -> Option<T> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.get(&me.lane()).cloned()
    }
}
