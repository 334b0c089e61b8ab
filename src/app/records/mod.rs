//! The journal's records on screen: the table ([`frames_view`]) over its
//! row index ([`frame_index`]), row summaries and cached cells, and what
//! opens from a row: the record's detail, its hex dump and the
//! conversation's Follow stream.

pub(super) mod cell_galleys;
pub(super) mod follow_view;
pub(super) mod frame_index;
pub(super) mod frames_view;
pub mod hex_view;
pub(super) mod record_detail;
pub mod row_summary;
pub(super) mod table_rows;
