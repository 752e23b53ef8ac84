//! The timeline: every lane of a trace on one time axis, drawn on a canvas so that a trace of
//! a hundred thousand spans zooms and pans without creating a DOM node per span.
//!
//! `model` indexes a trace's spans per lane for fast "what is visible" queries, `rows` says
//! which lanes get a row (filtered by name, alike lanes folded into one), `viewport`
//! is the pure zoom/pan/scroll arithmetic (unit-tested in the browser tests), `palette` says
//! how each state looks (colour and pattern, colour-blind-safe), `draw` paints.

mod draw;
mod model;
mod palette;
mod rows;
mod viewport;

pub use draw::{
    draw, first_to_last, has_phases, tick_step, widest_name, Geometry, Overlay, Patterns, Theme,
    CANCELLED,
};
pub use model::TimelineModel;
pub use palette::{state_style, Fill};
pub use rows::{RowChoice, Rows};
pub use viewport::Viewport;
