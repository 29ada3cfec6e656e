//! Running requests and keeping their results: the run store and the concurrent batch.

pub mod batch;
pub mod batch_api;
pub mod editing;
pub mod portfolio;
pub mod record;
pub mod revise;
pub mod section;
pub mod store;
pub mod versions;
pub mod workspace;

pub use store::{AnswerSource, Store, StoredSection};
