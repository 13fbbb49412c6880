//! Dataset catalog, file reading and validation.
