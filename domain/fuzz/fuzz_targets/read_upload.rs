//! Any bytes, as any of the formats the checker reads, against the two main datasets: the
//! check may fail, but only with a `FileError`, within its limits, and never by a panic that
//! escapes or by running away with memory.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use xycz_domain::{check_bytes, Catalog, CheckOptions, Limits};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::builtin)
}

/// Compound files (`.xls`) are left out: calamine 0.38 panics on some damaged ones (see
/// `tests/fuzz_regressions.rs`); the checker contains that panic, but libFuzzer stops at any
/// panic, which would end every run there.
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

fuzz_target!(|data: &[u8]| {
    if data.starts_with(CFB_MAGIC) {
        return;
    }
    let options = CheckOptions {
        limits: Limits {
            max_inflated_bytes: 16 * 1024 * 1024,
            max_rows: 5_000,
            max_cells: 100_000,
            max_duration: Duration::from_secs(5),
            ..Limits::default()
        },
        keep_records: true,
        ..CheckOptions::default()
    };
    for dataset in ["penalty", "licensing"] {
        let dataset = catalog().get(dataset).expect("built-in dataset");
        if let Err(error) = check_bytes(dataset, "fuzz", data, &options) {
            assert_ne!(error.code(), "parser_panic", "{error}");
        }
    }
});
