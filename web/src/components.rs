//! The playground's components, one per file.

pub mod params_form;
pub mod trace_file_bar;
pub mod trace_view;
