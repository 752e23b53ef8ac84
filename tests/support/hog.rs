//! CPU hogs for tests of verdicts on a busy machine: threads at normal priority that compute
//! in bursts with pauses between, as a browser or an editor beside conlab would, started and
//! stopped by the test.

use crate::draw::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Hogs running until dropped.
pub struct CpuHogs {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl CpuHogs {
    /// Starts `threads` hogs; each computes for 20–400 ms, pauses 20–400 ms, and again.
    pub fn start(threads: usize, seed: u64) -> CpuHogs {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|i| {
                let stop = stop.clone();
                let mut rng = Rng::new(seed.wrapping_add(i as u64));
                std::thread::Builder::new()
                    .name(format!("cpu-hog-{i}"))
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            let burst = Duration::from_millis(rng.between(20, 400) as u64);
                            let until = Instant::now() + burst;
                            let mut x = 0u64;
                            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                                for i in 0..10_000u64 {
                                    x = std::hint::black_box(x.rotate_left(3) ^ i);
                                }
                            }
                            std::thread::sleep(Duration::from_millis(rng.between(20, 400) as u64));
                        }
                    })
                    .expect("a hog thread starts")
            })
            .collect();
        CpuHogs { stop, threads }
    }
}

impl Drop for CpuHogs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
