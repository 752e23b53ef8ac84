//! How each span state looks: a colour from the Okabe–Ito palette (readable with the common
//! colour-vision deficiencies) and, for every kind of waiting, a pattern, so that the state
//! never depends on colour alone. The legend shows the same swatches with their names.

use conlab_core::SpanState;

/// How a state is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fill {
    /// Plain colour: the lane is doing something.
    Solid,
    /// Diagonal stripes: waiting for a lock, permit or the GIL.
    Hatch,
    /// Dots: waiting for something to arrive (a notification, an item, a connection, data).
    Dots,
    /// Vertical bars: waiting for another task, thread or result.
    Bars,
    /// Crossed stripes: waiting for a connection from a pool.
    Cross,
}

/// A state's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateStyle {
    /// CSS colour.
    pub colour: &'static str,
    /// Fill pattern.
    pub fill: Fill,
}

const ORANGE: &str = "#E69F00";
const SKY: &str = "#56B4E9";
const GREEN: &str = "#009E73";
const YELLOW: &str = "#F0E442";
const BLUE: &str = "#0072B2";
const VERMILION: &str = "#D55E00";
const PURPLE: &str = "#CC79A7";
const GREY: &str = "#8C8C8C";

/// The look of `state`.
pub fn state_style(state: SpanState) -> StateStyle {
    use SpanState::*;
    let (colour, fill) = match state {
        Running => (YELLOW, Fill::Solid),
        Computing => (ORANGE, Fill::Solid),
        Sleeping => (SKY, Fill::Solid),
        // A request in flight and data being read are told apart (a download shows both).
        InFlight => (BLUE, Fill::Solid),
        BlockedIo => (BLUE, Fill::Dots),
        Blocking => (VERMILION, Fill::Solid),
        HoldingLock => (GREEN, Fill::Solid),
        Connecting => (GREEN, Fill::Dots),
        // Every state its own swatch: the kind of waiting by pattern, which one by colour.
        WaitingLock => (PURPLE, Fill::Hatch),
        WaitingSemaphore => (GREEN, Fill::Hatch),
        WaitingGil => (VERMILION, Fill::Hatch),
        WaitingCondition => (PURPLE, Fill::Dots),
        WaitingEvent => (ORANGE, Fill::Dots),
        WaitingQueue => (SKY, Fill::Dots),
        WaitingJoin => (GREY, Fill::Bars),
        WaitingFuture => (BLUE, Fill::Bars),
        PoolWait => (PURPLE, Fill::Cross),
    };
    StateStyle { colour, fill }
}
