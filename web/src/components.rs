//! The page's components, one per file.

pub mod charts;
pub mod code_view;
pub mod compare;
pub mod embed_dialog;
pub mod lesson_code;
pub mod params_form;
pub mod settings;
pub mod steer;
pub mod step_through;
pub mod timeline;
pub mod trace_file_bar;
pub mod trace_view;
