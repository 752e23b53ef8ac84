//! Which part of the timeline is on screen: a time window and the first visible lane row.
//! Pure arithmetic, so zooming, panning and scrolling are tested without a canvas.

use conlab_core::Nanos;

/// The narrowest window one can zoom into.
pub const MIN_WINDOW_NS: f64 = 1_000.0;

/// The visible part of a timeline of `end` nanoseconds and `rows` lanes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// Left edge, in nanoseconds.
    pub t0: f64,
    /// Right edge.
    pub t1: f64,
    /// The first visible row (fractional while scrolling).
    pub row0: f64,
    end: f64,
    rows: usize,
}

impl Viewport {
    /// The whole run, from the first row.
    pub fn whole(end: Nanos, rows: usize) -> Viewport {
        Viewport {
            t0: 0.0,
            t1: end.max(1) as f64,
            row0: 0.0,
            end: end.max(1) as f64,
            rows,
        }
    }

    /// The same view over a timeline that grew (a live run): a view of the whole run stays
    /// whole; a zoomed view keeps its window.
    pub fn grown(self, end: Nanos, rows: usize) -> Viewport {
        let was_whole = self.t0 <= 0.0 && self.t1 >= self.end;
        let mut v = Viewport {
            end: end.max(1) as f64,
            rows,
            ..self
        };
        if was_whole {
            v.t1 = v.end;
        }
        let rows_left = v.row0.min(rows.saturating_sub(1) as f64);
        Viewport {
            row0: rows_left.max(0.0),
            ..v.clamp_time()
        }
    }

    /// Width of the window in nanoseconds.
    pub fn window(&self) -> f64 {
        self.t1 - self.t0
    }

    /// Whether the whole run is in view.
    pub fn is_whole(&self) -> bool {
        self.t0 <= 0.0 && self.t1 >= self.end
    }

    /// Zooms by `factor` (> 1 zooms in) keeping the time under `at` (0 = left edge, 1 = right
    /// edge) where it is.
    pub fn zoom(self, factor: f64, at: f64) -> Viewport {
        if !(factor.is_finite() && factor > 0.0) {
            return self;
        }
        let at = at.clamp(0.0, 1.0);
        let pivot = self.t0 + self.window() * at;
        let window = (self.window() / factor).clamp(MIN_WINDOW_NS.min(self.end), self.end);
        Viewport {
            t0: pivot - window * at,
            t1: pivot - window * at + window,
            ..self
        }
        .clamp_time()
    }

    /// Moves the window by `fraction` of its width (positive = later).
    pub fn pan(self, fraction: f64) -> Viewport {
        let d = self.window() * fraction;
        Viewport {
            t0: self.t0 + d,
            t1: self.t1 + d,
            ..self
        }
        .clamp_time()
    }

    /// Scrolls by `rows` (positive = down), showing at most `visible` rows at once.
    pub fn scroll(self, rows: f64, visible: usize) -> Viewport {
        Viewport {
            row0: self.row0 + rows,
            ..self
        }
        .clamp_rows(visible)
    }

    /// The window `[t0, t1]` (another timeline's), kept inside this run.
    pub fn window_of(self, t0: f64, t1: f64) -> Viewport {
        if !(t0.is_finite() && t1.is_finite() && t1 > t0) {
            return self;
        }
        Viewport { t0, t1, ..self }.clamp_time()
    }

    /// Centres the window on `t` without changing its width.
    pub fn centre_on(self, t: Nanos) -> Viewport {
        let half = self.window() / 2.0;
        Viewport {
            t0: t as f64 - half,
            t1: t as f64 + half,
            ..self
        }
        .clamp_time()
    }

    /// The x position (in `0..width`) of time `t`.
    pub fn x_of(&self, t: f64, width: f64) -> f64 {
        (t - self.t0) / self.window() * width
    }

    /// The time at x position `x` of `width`.
    pub fn t_of(&self, x: f64, width: f64) -> f64 {
        self.t0 + x / width.max(1.0) * self.window()
    }

    /// Keeps the window inside the run.
    fn clamp_time(mut self) -> Viewport {
        let window = self.window().clamp(MIN_WINDOW_NS.min(self.end), self.end);
        if self.t0 < 0.0 {
            self.t0 = 0.0;
        }
        if self.t0 + window > self.end {
            self.t0 = self.end - window;
        }
        self.t1 = self.t0 + window;
        self
    }

    /// Keeps the rows inside the lane list when `visible` rows fit on screen.
    fn clamp_rows(mut self, visible: usize) -> Viewport {
        let last = self.rows.saturating_sub(visible.min(self.rows)) as f64;
        self.row0 = self.row0.clamp(0.0, last.max(0.0));
        self
    }
}
