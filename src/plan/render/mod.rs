//! Renderers: each turns a [`super::Plan`] into one file format.

pub mod blocks;
pub mod docx;
pub mod markdown;
pub mod xlsx;
