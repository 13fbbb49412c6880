//! The checker benchmark's baseline: only iterate every cell of the first sheet with calamine's
//! streaming reader, as fast as reading the file can be. `calamine_baseline FILE.xlsx`.

use calamine::{DataRef, Reader, Xlsx};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: calamine_baseline FILE.xlsx")?;
    let bytes = std::fs::read(&path)?;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.as_slice()))?;
    let sheet = book.sheet_names().first().cloned().ok_or("no sheet")?;
    let mut reader = book.worksheet_cells_reader(&sheet)?;
    let (mut cells, mut text_bytes) = (0usize, 0usize);
    while let Some(cell) = reader.next_cell()? {
        cells += 1;
        match cell.get_value() {
            DataRef::SharedString(s) => text_bytes += s.len(),
            DataRef::String(s) => text_bytes += s.len(),
            _ => {}
        }
    }
    println!("{cells} cells, {text_bytes} bytes of text");
    Ok(())
}
