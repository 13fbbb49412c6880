//! Paging the publicity lists so that a change stays local.
//!
//! Cutting a list every `page_size` rows would move every later row to another page when one
//! record is added or revoked, and an incremental build would rewrite all of them. Instead a
//! page ends after a row whose id hashes to zero modulo the page size (so pages hold
//! `page_size` rows on average), bounded below and above. A change then touches its own page
//! and at most the neighbours whose links name it.

use std::ops::Range;

use crate::search::fnv1a;

/// The row ranges of the pages of `ids` (in display order).
pub fn pages(ids: &[i64], page_size: usize) -> Vec<Range<usize>> {
    let page_size = page_size.max(1);
    let min = (page_size / 4).max(1);
    let max = page_size * 3;

    let mut pages = Vec::with_capacity(ids.len() / page_size + 1);
    let mut start = 0;
    for (i, id) in ids.iter().enumerate() {
        let len = i + 1 - start;
        let natural = (fnv1a(&id.to_le_bytes()) as usize).is_multiple_of(page_size);
        if (natural && len >= min) || len >= max {
            pages.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < ids.len() || pages.is_empty() {
        pages.push(start..ids.len());
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_row_once_and_respect_the_bounds() {
        let ids: Vec<i64> = (1..=5000).rev().collect();
        let pages = pages(&ids, 20);
        assert_eq!(pages[0].start, 0);
        assert_eq!(pages.last().unwrap().end, ids.len());
        for pair in pages.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert!(pages.iter().all(|p| p.len() <= 60));
        let average = ids.len() as f64 / pages.len() as f64;
        assert!((12.0..=30.0).contains(&average), "{average}");
    }

    #[test]
    fn removing_one_row_changes_few_pages() {
        let ids: Vec<i64> = (1..=5000).rev().collect();
        let before: Vec<Vec<i64>> = pages(&ids, 20)
            .into_iter()
            .map(|r| ids[r].to_vec())
            .collect();
        for removed in [17, 2500, 4999] {
            let mut fewer = ids.clone();
            fewer.retain(|&id| id != removed);
            let after: Vec<Vec<i64>> = pages(&fewer, 20)
                .into_iter()
                .map(|r| fewer[r].to_vec())
                .collect();
            let changed = after.iter().filter(|p| !before.contains(p)).count();
            assert!(changed <= 2, "removing {removed} changed {changed} pages");
        }
    }

    #[test]
    fn an_empty_list_has_one_empty_page() {
        assert_eq!(pages(&[], 20), vec![0..0]);
    }
}
