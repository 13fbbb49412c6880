//! Inputs the fuzzer (`domain/fuzz`, target `read_upload`) found. Each must end its check with a
//! file-level error and leave the process running.

use std::path::Path;

use xycz_domain::{check_bytes, Catalog, CheckOptions};

fn check(name: &str) -> Result<usize, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(name);
    let bytes = std::fs::read(path).unwrap();
    let catalog = Catalog::builtin();
    check_bytes(
        catalog.get("licensing").unwrap(),
        name,
        &bytes,
        &CheckOptions::default(),
    )
    .map(|report| report.rows)
    .map_err(|e| e.code().to_string())
}

/// calamine 0.38 slices past the end of a short sector in a damaged compound file
/// (cfb.rs:320); the panic is contained and reported as this file's failure.
#[test]
fn a_damaged_compound_file_that_panics_calamine_fails_only_its_check() {
    assert_eq!(
        check("calamine_cfb_slice_panic.xls"),
        Err("parser_panic".to_string())
    );
    // The process is still here and checks the next file normally.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/licensing_sample.xls");
    let bytes = std::fs::read(fixture).unwrap();
    let catalog = Catalog::builtin();
    let report = check_bytes(
        catalog.get("licensing").unwrap(),
        "ok.xls",
        &bytes,
        &CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(report.rows, 13);
}
