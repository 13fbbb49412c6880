//! The domain of the credit platform: the dataset catalog, reading the files that reporting
//! units upload, and validating them row by row. Both the site generator and the functions
//! build on this crate; it knows nothing of HTTP, databases or pages.

pub mod amount;
mod builtin;
pub mod catalog;
pub mod check;
pub mod checkdigit;
pub mod dates;
pub mod error;
pub mod errors_xlsx;
pub mod normalize;
pub mod publicity;
pub mod reader;
pub mod report;

pub use catalog::{Catalog, Dataset, Field, FieldKind};
pub use check::{check_bytes, CheckOptions};
pub use error::FileError;
pub use reader::Limits;
pub use report::{CheckedRecord, Issue, Report, Severity};
