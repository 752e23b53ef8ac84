//! Who steps next: the one trait a search strategy implements (after shuttle's `Scheduler`),
//! and the strategies: random, PCT, depth-first under a preemption bound, and replay.

use crate::rng::SplitMix64;
use crate::run::ThreadId;

/// A point where more than one thread can step.
pub struct ChoicePoint<'a> {
    /// The threads that can step, in thread order.
    pub runnable: &'a [ThreadId],
    /// The thread that took the previous step, if any: choosing another while it is runnable
    /// preempts it.
    pub current: Option<ThreadId>,
    /// Steps taken before this one.
    pub step: u64,
}

impl ChoicePoint<'_> {
    /// Where the current thread is among the runnable ones, if it is runnable.
    pub fn current_position(&self) -> Option<usize> {
        let c = self.current?;
        self.runnable.iter().position(|&t| t == c)
    }
}

/// Chooses who steps next.
pub trait Strategy {
    /// A run starts.
    fn begin(&mut self) {}

    /// The position in `at.runnable` of the thread to step, or `None` when this strategy has no
    /// choice for this point (a replayed schedule that does not fit the run).
    fn choose(&mut self, at: &ChoicePoint) -> Option<usize>;
}

/// Uniformly random choices from a seed, optionally with at most a number of preemptions
/// (once they are spent, the current thread goes on while it can).
pub struct Random {
    rng: SplitMix64,
    bound: Option<u32>,
    preemptions: u32,
}

impl Random {
    /// Choices drawn from `seed`.
    pub fn new(seed: u64) -> Random {
        Random {
            rng: SplitMix64::new(seed),
            bound: None,
            preemptions: 0,
        }
    }

    /// Choices drawn from `seed` with at most `bound` preemptions a run.
    pub fn bounded(seed: u64, bound: u32) -> Random {
        Random {
            bound: Some(bound),
            ..Random::new(seed)
        }
    }
}

impl Strategy for Random {
    fn begin(&mut self) {
        self.preemptions = 0;
    }

    fn choose(&mut self, at: &ChoicePoint) -> Option<usize> {
        let current = at.current_position();
        if let (Some(c), Some(b)) = (current, self.bound) {
            if self.preemptions >= b {
                return Some(c);
            }
        }
        let pick = self.rng.below(at.runnable.len() as u64) as usize;
        if current.is_some_and(|c| c != pick) {
            self.preemptions += 1;
        }
        Some(pick)
    }
}

/// PCT (Burckhardt, Kothari, Musuvathi and Nagarakatte, 2010): each thread a random priority,
/// the highest runnable one steps; at `depth - 1` random steps the running thread drops below
/// every other. A bug needing `depth` ordering constraints is found with probability at least
/// 1 / (threads × steps^(depth-1)) per run.
pub struct Pct {
    rng: SplitMix64,
    depth: u32,
    steps: u64,
    change_points: Vec<u64>,
    next_change: usize,
    priorities: Vec<u64>,
}

impl Pct {
    /// PCT of `depth` (≥ 1) for runs of about `steps` steps, drawn from `seed`.
    pub fn new(seed: u64, depth: u32, steps: u64) -> Pct {
        Pct {
            rng: SplitMix64::new(seed),
            depth: depth.max(1),
            steps: steps.max(1),
            change_points: Vec::new(),
            next_change: 0,
            priorities: Vec::new(),
        }
    }
}

impl Strategy for Pct {
    fn begin(&mut self) {
        self.priorities.clear();
        self.next_change = 0;
        self.change_points = (1..self.depth)
            .map(|_| self.rng.below(self.steps))
            .collect();
        self.change_points.sort_unstable();
    }

    fn choose(&mut self, at: &ChoicePoint) -> Option<usize> {
        let depth = u64::from(self.depth);
        for &t in at.runnable {
            while self.priorities.len() <= t.0 as usize {
                // Initial priorities lie above every change point's (which are below `depth`).
                let p = depth + self.rng.next_u64() / 2;
                self.priorities.push(p);
            }
        }
        while self.next_change < self.change_points.len()
            && self.change_points[self.next_change] <= at.step
        {
            if let Some(c) = at.current {
                if let Some(p) = self.priorities.get_mut(c.0 as usize) {
                    *p = (depth - 1) - self.next_change as u64;
                }
            }
            self.next_change += 1;
        }
        at.runnable
            .iter()
            .enumerate()
            .max_by_key(|(_, t)| self.priorities[t.0 as usize])
            .map(|(i, _)| i)
    }
}

/// The choices of a schedule, made again in order (then, for a schedule made so far, those
/// drawn from a seed).
pub struct Replay {
    choices: Vec<u32>,
    next: usize,
    then: Option<(u64, Random)>,
}

impl Replay {
    /// Replays `choices`; a run needing more, or another, fails to fit.
    pub fn new(choices: Vec<u32>) -> Replay {
        Replay {
            choices,
            next: 0,
            then: None,
        }
    }

    /// Replays `choices`, then makes the choices [`Random`] draws from `seed` (with no
    /// choices, exactly those of `Random::new(seed)`).
    pub fn then_drawn(choices: Vec<u32>, seed: u64) -> Replay {
        Replay {
            then: Some((seed, Random::new(seed))),
            ..Replay::new(choices)
        }
    }

    /// Whether every choice was used.
    pub fn used_all(&self) -> bool {
        self.next == self.choices.len()
    }
}

impl Strategy for Replay {
    fn begin(&mut self) {
        self.next = 0;
        if let Some((seed, random)) = &mut self.then {
            *random = Random::new(*seed);
        }
    }

    fn choose(&mut self, at: &ChoicePoint) -> Option<usize> {
        let Some(&c) = self.choices.get(self.next) else {
            return self.then.as_mut().and_then(|(_, random)| random.choose(at));
        };
        self.next += 1;
        let c = c as usize;
        (c < at.runnable.len()).then_some(c)
    }
}

/// Follows the threads an earlier run picked, except where it lets the current thread go on
/// (a preemption taken away): at one point, or at every point from one on. Where a pick is not
/// runnable any more, it keeps the current thread, else takes the first. How a found failure
/// is shrunk, a run at a time.
pub struct Guided {
    picks: Vec<ThreadId>,
    keep_at: usize,
    keep_from: usize,
    next: usize,
}

impl Guided {
    /// Follows `picks`, letting the current thread go on at choice point `keep_at`.
    pub fn new(picks: Vec<ThreadId>, keep_at: usize) -> Guided {
        Guided {
            picks,
            keep_at,
            keep_from: usize::MAX,
            next: 0,
        }
    }

    /// Follows the first `n` of `picks`, then lets every thread go on until it blocks.
    pub fn prefix(picks: Vec<ThreadId>, n: usize) -> Guided {
        Guided {
            picks,
            keep_at: usize::MAX,
            keep_from: n,
            next: 0,
        }
    }
}

impl Strategy for Guided {
    fn begin(&mut self) {
        self.next = 0;
    }

    fn choose(&mut self, at: &ChoicePoint) -> Option<usize> {
        let k = self.next;
        self.next += 1;
        let current = at.current_position();
        let wanted = self
            .picks
            .get(k)
            .and_then(|t| at.runnable.iter().position(|r| r == t));
        Some(
            match (k == self.keep_at || k >= self.keep_from, current, wanted) {
                (true, Some(c), _) => c,
                (_, _, Some(w)) => w,
                (_, Some(c), None) => c,
                (_, None, None) => 0,
            },
        )
    }
}

/// One choice point of the depth-first search: how many could step, where the current thread
/// was among them, which alternative this execution takes, and the preemptions before it.
#[derive(Clone, Copy, Debug)]
struct Frame {
    options: u32,
    current: Option<u32>,
    alternative: u32,
    preemptions_before: u32,
}

impl Frame {
    /// Alternatives are tried current thread first (no preemption), then the others in order.
    fn position(&self) -> usize {
        let a = self.alternative;
        match self.current {
            None => a as usize,
            Some(_) if a == 0 => self.current.unwrap_or(0) as usize,
            Some(c) => (if a - 1 < c { a - 1 } else { a }) as usize,
        }
    }

    fn preempts(&self) -> bool {
        self.current.is_some() && self.alternative > 0
    }
}

/// Depth-first search of every execution, optionally with at most `bound` preemptions
/// (Musuvathi and Qadeer's context bounding: most concurrency bugs need very few). Run
/// executions while [`Dfs::next_execution`] says there is another.
pub struct Dfs {
    bound: Option<u32>,
    stack: Vec<Frame>,
    depth: usize,
    preemptions: u32,
}

impl Dfs {
    /// A search of every execution with at most `bound` preemptions (`None`: all).
    pub fn new(bound: Option<u32>) -> Dfs {
        Dfs {
            bound,
            stack: Vec::new(),
            depth: 0,
            preemptions: 0,
        }
    }

    /// Moves to the next unexplored execution; false once every one was run.
    pub fn next_execution(&mut self) -> bool {
        while let Some(f) = self.stack.last_mut() {
            let next = f.alternative + 1;
            let within = self
                .bound
                .is_none_or(|b| f.preemptions_before + u32::from(f.current.is_some()) <= b);
            if next < f.options && within {
                f.alternative = next;
                return true;
            }
            self.stack.pop();
        }
        false
    }
}

impl Strategy for Dfs {
    fn begin(&mut self) {
        self.depth = 0;
        self.preemptions = 0;
    }

    fn choose(&mut self, at: &ChoicePoint) -> Option<usize> {
        let options = at.runnable.len() as u32;
        let current = at.current_position().map(|p| p as u32);
        if self.depth == self.stack.len() {
            self.stack.push(Frame {
                options,
                current,
                alternative: 0,
                preemptions_before: self.preemptions,
            });
        }
        let f = self.stack[self.depth];
        if f.options != options || f.current != current {
            // The same choices led somewhere else: the code is not deterministic.
            return None;
        }
        self.depth += 1;
        if f.preempts() {
            self.preemptions += 1;
        }
        Some(f.position())
    }
}
