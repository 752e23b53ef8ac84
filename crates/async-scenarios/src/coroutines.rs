//! Chapter 3: coroutines.

pub mod coroutine_cpu;
pub mod coroutine_switch;
pub mod generator_delegation;
pub mod io_switch;
