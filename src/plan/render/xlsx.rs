//! The plan's trackers as an Excel workbook (being written).

use crate::error::{Error, Result};
use crate::plan::Plan;

pub fn render(_plan: &Plan) -> Result<Vec<u8>> {
    Err(Error::Other("Excel output is not built yet".into()))
}
