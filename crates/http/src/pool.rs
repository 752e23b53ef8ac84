//! A pool of kept-alive connections to one server, shared by the tasks of one event loop (as
//! an `aiohttp.ClientSession` is, with its limit of connections open at once): a request takes
//! an idle connection or opens one, waiting while the limit is reached, and gives it back when
//! the response allowed it.

use crate::conn::{Conn, Failure};
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The pool. Not `Send`: it belongs to one loop.
pub struct Pool {
    addr: SocketAddr,
    idle: RefCell<Vec<Conn>>,
    permits: Arc<Semaphore>,
    opened: Cell<usize>,
}

/// A connection taken from the pool, until it is put back.
pub struct Taken {
    /// The connection.
    pub conn: Conn,
    /// Whether it was opened for this request (false: reused from the pool).
    pub opened: bool,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    /// An empty pool for the server at `addr`, with at most `limit` connections in use at once.
    pub fn new(addr: SocketAddr, limit: usize) -> Pool {
        Pool {
            addr,
            idle: RefCell::new(Vec::new()),
            permits: Arc::new(Semaphore::new(limit.max(1))),
            opened: Cell::new(0),
        }
    }

    /// Waits until the pool allows one more connection in use (at once when below its limit).
    pub async fn wait_for_room(&self) -> OwnedSemaphorePermit {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed")
    }

    /// Whether a request would have to wait for a connection now.
    pub fn is_full(&self) -> bool {
        self.permits.available_permits() == 0
    }

    /// Takes an idle connection, or opens one, for a request holding `room`.
    pub async fn take(&self, room: OwnedSemaphorePermit) -> Result<Taken, Failure> {
        if let Some(conn) = self.idle.borrow_mut().pop() {
            return Ok(Taken {
                conn,
                opened: false,
                _permit: room,
            });
        }
        let conn = Conn::connect(self.addr).await?;
        self.opened.set(self.opened.get() + 1);
        Ok(Taken {
            conn,
            opened: true,
            _permit: room,
        })
    }

    /// Gives a connection back (dropped, and so closed, when it may not carry another
    /// request), making room for a waiting request.
    pub fn put_back(&self, taken: Taken) {
        if taken.conn.is_reusable() {
            self.idle.borrow_mut().push(taken.conn);
        }
    }

    /// How many connections the pool has opened.
    pub fn opened(&self) -> usize {
        self.opened.get()
    }
}
