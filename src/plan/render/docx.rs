//! The plan as a Word document (being written).

use super::blocks::Block;
use crate::error::{Error, Result};

pub struct DocMeta {
    pub title: String,
    pub subject: String,
    pub author: Option<String>,
    pub created: String,
    pub notice: String,
}

pub fn render(_blocks: &[Block], _meta: &DocMeta, _reference: Option<&[u8]>) -> Result<Vec<u8>> {
    Err(Error::Other("Word output is not built yet".into()))
}
