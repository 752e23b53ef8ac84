//! A lock shared by processes: a POSIX semaphore in shared memory (`memfd_create`, so nothing
//! is left on disk, and the memory goes away with the last process that maps it), plus the
//! index of the process holding it, so the watchdog can say who holds what.
//!
//! Waiting for it follows the toolkit's rule: in slices of 20 ms (`sem_timedwait`), giving up
//! when the run is aborted, so a deadlock across processes becomes a report, not a hang.

use crate::child::ProcessCtx;
use conlab_core::SpanState;
use conlab_traced_threads::Aborted;
use std::cell::UnsafeCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};

const SIZE: usize = 4096;
const FREE: u32 = u32::MAX;

/// What lives in the shared page. The semaphore changes under every process's feet (other
/// processes post and wait on it through their own mappings): it sits in an `UnsafeCell`, so
/// a `&Shared` never claims it is unchanging.
#[repr(C)]
struct Shared {
    sem: UnsafeCell<libc::sem_t>,
    holder: AtomicU32,
    /// The lock's name (what waits for it say), written once by the parent.
    name_len: u32,
    name: [u8; NAME_MAX],
}

const NAME_MAX: usize = 128;

/// A lock across processes. Made by the parent and shared with children
/// ([`crate::Spawn::share`]); each child opens it with [`ProcessLock::open`].
pub struct ProcessLock {
    fd: OwnedFd,
    map: *mut Shared,
    name: String,
}

// SAFETY: the mapping is shared memory used only through the semaphore and an atomic.
unsafe impl Send for ProcessLock {}
// SAFETY: as above.
unsafe impl Sync for ProcessLock {}

impl ProcessLock {
    /// A new, free lock called `name` (what waits for it say: `the shared lock`).
    pub fn new(name: &str) -> io::Result<ProcessLock> {
        // SAFETY: plain system calls; the name is a valid C string.
        let fd = unsafe { libc::memfd_create(c"conlab-lock".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: resizing a file we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), SIZE as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let lock = ProcessLock::map(fd, name)?;
        // SAFETY: the page is mapped, zeroed and not yet shared with anyone.
        unsafe {
            if libc::sem_init((*lock.map).sem.get(), 1, 1) != 0 {
                return Err(io::Error::last_os_error());
            }
            (*lock.map).holder.store(FREE, Ordering::Release);
            let mut len = name.len().min(NAME_MAX);
            while !name.is_char_boundary(len) {
                len -= 1;
            }
            (&mut (*lock.map).name)[..len].copy_from_slice(&name.as_bytes()[..len]);
            (*lock.map).name_len = len as u32;
        }
        Ok(lock)
    }

    /// The lock the parent shared under `key` ([`crate::Spawn::share`]), in a child; it keeps
    /// the name the parent gave it.
    pub fn open(ctx: &ProcessCtx, key: &str) -> io::Result<ProcessLock> {
        let name = key;
        let fd = ctx
            .shared_fd(name)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no lock was shared as {name}"),
                )
            })?
            .try_clone_to_owned()?;
        let mut lock = ProcessLock::map(fd, name)?;
        let shared = lock.shared();
        let len = (shared.name_len as usize).min(NAME_MAX);
        let named = String::from_utf8_lossy(&shared.name[..len]).into_owned();
        lock.name = named;
        Ok(lock)
    }

    fn map(fd: OwnedFd, name: &str) -> io::Result<ProcessLock> {
        // SAFETY: mapping one page of a file at least that long.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(ProcessLock {
            fd,
            map: map.cast(),
            name: name.to_string(),
        })
    }

    fn shared(&self) -> &Shared {
        // SAFETY: mapped for as long as `self` lives.
        unsafe { &*self.map }
    }

    fn sem(&self) -> *mut libc::sem_t {
        // The semaphore is used only through the libc calls, which take this pointer.
        self.shared().sem.get()
    }

    /// The index of the process holding it, if any.
    pub fn holder(&self) -> Option<u32> {
        Some(self.shared().holder.load(Ordering::Acquire)).filter(|h| *h != FREE)
    }

    /// Takes the lock in a child, waiting (recorded as `waiting_lock`, in slices) while
    /// another process holds it; the hold is recorded as `holding_lock` when the guard drops.
    pub fn acquire<'a>(&'a self, ctx: &'a ProcessCtx) -> Result<ProcessLockGuard<'a>, Aborted> {
        // SAFETY: a valid, initialized semaphore.
        let free = unsafe { libc::sem_trywait(self.sem()) } == 0;
        // The test fault of a lock that does not exclude: a child that finds it held goes in
        // all the same (and so has nothing to release).
        let taken = free || !conlab_core::faults::active(conlab_core::Fault::LockNotExclusive);
        if !taken {
            self.shared().holder.store(ctx.index(), Ordering::Release);
            ctx.begin(SpanState::HoldingLock, self.name.clone());
            return Ok(ProcessLockGuard {
                lock: self,
                ctx,
                taken,
            });
        }
        if !free {
            let what = self.name.clone();
            let _wait = ctx.waiting(
                SpanState::WaitingLock,
                self.name.clone(),
                what,
                self.holder(),
                false,
            );
            ctx.wait_in_slices(None, |slice| self.wait_for(slice).then_some(()))?;
        }
        self.shared().holder.store(ctx.index(), Ordering::Release);
        // Begun now, ended at the release: a holder killed while it holds still shows the hold.
        ctx.begin(SpanState::HoldingLock, self.name.clone());
        Ok(ProcessLockGuard {
            lock: self,
            ctx,
            taken,
        })
    }

    /// Waits at most `slice` for the semaphore; whether it was taken.
    fn wait_for(&self, slice: std::time::Duration) -> bool {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid pointers; the semaphore is initialized.
        unsafe {
            libc::clock_gettime(libc::CLOCK_REALTIME, &mut now);
            let nanos = now.tv_nsec as u64 + slice.as_nanos() as u64;
            let deadline = libc::timespec {
                tv_sec: now.tv_sec + (nanos / 1_000_000_000) as libc::time_t,
                tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
            };
            libc::sem_timedwait(self.sem(), &deadline) == 0
        }
    }
}

impl AsRawFd for ProcessLock {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Drop for ProcessLock {
    fn drop(&mut self) {
        // SAFETY: unmapping what `map` mapped; nothing refers to it after this.
        unsafe { libc::munmap(self.map.cast(), SIZE) };
    }
}

/// A held [`ProcessLock`]; dropping it releases the lock.
pub struct ProcessLockGuard<'a> {
    lock: &'a ProcessLock,
    ctx: &'a ProcessCtx,
    /// Whether the semaphore was really taken (always, but under a test fault).
    taken: bool,
}

impl Drop for ProcessLockGuard<'_> {
    fn drop(&mut self) {
        // The hold ends (its time read, into the buffer) before the release, so two holders'
        // spans never overlap (as in the thread toolkit).
        self.ctx.end();
        self.lock.shared().holder.store(FREE, Ordering::Release);
        if self.taken {
            // SAFETY: we hold the semaphore; posting releases it.
            unsafe { libc::sem_post(self.lock.sem()) };
        }
    }
}
