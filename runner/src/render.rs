//! Text rendering of traces for the terminal.

pub mod terminal;
pub mod text;
pub mod timeline;
