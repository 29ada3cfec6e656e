//! Renderers: each turns a [`super::Plan`] into one file format.

pub mod markdown;
