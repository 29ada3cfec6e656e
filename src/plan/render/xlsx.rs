//! The plan's trackers as an Excel workbook (being written).
