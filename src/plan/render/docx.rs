//! The plan as a Word document (being written).
