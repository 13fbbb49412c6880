//! Fixture sites built into a temporary folder and checked file by file.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use xycz_domain::Catalog;
use xycz_site::{
    sample, BuildMode, BuildSummary, PublicRecordInput, RecordState, RecordStatus, SiteConfig,
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn config(out: &Path) -> SiteConfig {
    SiteConfig {
        content_dir: repo().join("content"),
        templates_dir: repo().join("templates"),
        output_dir: out.to_path_buf(),
        quiet: true,
        today: today(),
    }
}

/// A natural person's penalty: id 3 is a natural person in the samples.
const PERSON: i64 = 3;

fn fixture_records() -> Vec<PublicRecordInput> {
    let mut records: Vec<PublicRecordInput> = (1..=60)
        .map(|id| {
            if id % 2 == 0 {
                sample::licence(id, today(), id)
            } else {
                sample::penalty(id, today(), id)
            }
        })
        .collect();

    // Revoked, minor, internal-only and expired penalties are never shown.
    let mut revoked = sample::penalty(101, today(), 10);
    revoked.state.status = RecordStatus::Revoked;
    let mut minor = sample::penalty(103, today(), 10);
    minor.values.insert("处罚严重程度".into(), "轻微".into());
    let mut internal = sample::penalty(105, today(), 10);
    internal.values.insert("信息使用范围".into(), "1".into());
    let expired = sample::penalty(107, today(), 400);
    let mut repaired = sample::penalty(109, today(), 10);
    repaired.state = RecordState {
        status: RecordStatus::Active,
        repaired: true,
    };
    records.extend([revoked, minor, internal, expired, repaired]);
    records
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The files under `a` and `b` whose paths `keep` accepts are the same, byte for byte.
fn assert_same_files(a: &Path, b: &Path, keep: impl Fn(&str) -> bool) {
    let (a, b) = (files(a), files(b));
    let names = |m: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        m.keys().filter(|p| keep(p)).cloned().collect()
    };
    assert_eq!(names(&a), names(&b));
    for path in names(&a) {
        assert!(a[&path] == b[&path], "{path} differs");
    }
}

/// A full build of `records` into `out` with the built-in catalog.
fn full_build(out: &Path, records: Vec<PublicRecordInput>) -> BuildSummary {
    xycz_site::build(&config(out), &Catalog::builtin(), records, BuildMode::Full).unwrap()
}

/// Every file of the site, not the build state.
fn site_file(path: &str) -> bool {
    !path.starts_with(".xycz-")
}

fn text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .clone(),
    )
    .unwrap()
}

fn name_of(record: &PublicRecordInput) -> String {
    let label = if record.dataset == "licensing" || record.dataset == "penalty" {
        "行政相对人名称"
    } else {
        "主体名称"
    };
    record.values[label].clone()
}

#[test]
fn full_build_writes_every_expected_file() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let summary = full_build(dir.path(), fixture_records());
    assert!(!summary.incremental);
    assert_eq!(summary.records_public, 60);
    assert_eq!(summary.records_hidden, 5);

    let out = files(dir.path());
    for path in [
        "index.html",
        "about.html",
        "policies.html",
        "contact.html",
        "search.html",
        "404.html",
        "sitemap.xml",
        "manual/index.html",
        "manual/login.html",
        "manual/sgs-upload.html",
        "manual/sgs-records.html",
        "manual/report.html",
        "manual/history.html",
        "manual/browser.html",
        "manual/contact.html",
        "manual/print.html",
        "downloads/index.html",
        "downloads/penalty.html",
        "downloads/licensing.html",
        "publicity/index.html",
        "publicity/penalty/index.html",
        "publicity/licensing/index.html",
        "publicity/red-list/index.html",
        "publicity/black-list/index.html",
        "publicity/penalty/1.html",
        "publicity/licensing/2.html",
        "search/meta.json",
        "search/d/0.json",
        ".xycz-manifest",
    ] {
        assert!(out.contains_key(path), "{path} missing");
    }
    for dataset in catalog.datasets.iter() {
        let prefix = format!("downloads/{}-", dataset.id);
        assert!(
            out.keys()
                .any(|p| p.starts_with(&prefix) && p.ends_with(".xlsx")),
            "no template for {}",
            dataset.id
        );
    }
    assert!(out
        .keys()
        .any(|p| p.starts_with("static/style-") && p.ends_with(".css")));
    assert!(out
        .keys()
        .any(|p| p.starts_with("static/search-") && p.ends_with(".js")));

    let home = text(&out, "index.html");
    assert!(home.contains(r#"<html lang="zh-CN">"#));
    assert!(home.contains("政务登录") && home.contains(r#"href="/console/login.html""#));
    for link in [
        "/search.html",
        "/publicity/#sgs",
        "/publicity/#lists",
        "/downloads/",
        "/manual/",
    ] {
        assert!(
            home.contains(&format!("href=\"{link}\"")),
            "home lacks {link}"
        );
    }

    // The manual: sidebar, previous/next, printable page with every chapter.
    let login = text(&out, "manual/login.html");
    assert!(login.contains(r#"rel="prev" href="/manual/""#), "{login}");
    assert!(login.contains(r#"rel="next" href="/manual/sgs-upload.html""#));
    let print = text(&out, "manual/print.html");
    for title in [
        "登录平台",
        "双公示数据上报",
        "双公示信息管理",
        "我的上报",
        "浏览器说明",
        "联系方式",
    ] {
        assert!(print.contains(title), "print page lacks {title}");
    }
    assert!(text(&out, "manual/browser.html").contains("极速模式"));
    // Chinese heading anchors.
    assert!(text(&out, "manual/sgs-upload.html").contains(r#"id="阅读校验报告""#));
    // Template links in the manual point at the fingerprinted files.
    let upload = text(&out, "manual/sgs-upload.html");
    assert!(upload.contains("href=\"/downloads/penalty-"), "{upload}");

    // Newest decision first: penalty 1 is the newest penalty (1 day ago).
    let list = text(&out, "publicity/penalty/index.html");
    let first = list.find("/publicity/penalty/1.html").unwrap();
    let later = list.find("/publicity/penalty/5.html").unwrap();
    assert!(first < later);

    // Every public penalty is on exactly one list page, and the pages chain by their links.
    let pages: Vec<&String> = out
        .keys()
        .filter(|p| p.starts_with("publicity/penalty/p/") || *p == "publicity/penalty/index.html")
        .collect();
    assert!(pages.len() >= 2, "{pages:?}");
    let mut listed = Vec::new();
    for page in &pages {
        let html = text(&out, page);
        for id in (1..=60).filter(|id| id % 2 == 1) {
            if html.contains(&format!("href=\"/publicity/penalty/{id}.html\"")) {
                listed.push(id);
            }
        }
    }
    listed.sort();
    assert_eq!(
        listed,
        (1..=60).filter(|id| id % 2 == 1).collect::<Vec<_>>()
    );
    assert!(
        list.contains(r#"rel="next" href="/publicity/penalty/p/"#),
        "{list}"
    );

    let sitemap = text(&out, "sitemap.xml");
    assert!(sitemap.contains("<loc>https://credit.example.org/publicity/penalty/</loc>"));
    assert!(sitemap.contains("<loc>https://credit.example.org/manual/print.html</loc>"));

    // Hidden records have no page and are in no list.
    for id in [101, 103, 105, 107, 109] {
        assert!(
            !out.contains_key(&format!("publicity/penalty/{id}.html")),
            "{id} published"
        );
    }
}

#[test]
fn no_full_id_of_a_natural_person_appears_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let records = fixture_records();
    let ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.values.get("证件号码").cloned())
        .collect();
    assert!(!ids.is_empty());
    let person = records.iter().find(|r| r.id == PERSON).unwrap();
    assert_eq!(person.values["行政相对人类别"], "自然人");

    full_build(dir.path(), records.clone());
    let out = files(dir.path());
    for (path, bytes) in &out {
        let body = String::from_utf8_lossy(bytes);
        for id in &ids {
            assert!(
                !body.contains(id.as_str()),
                "{path} contains a full ID number"
            );
        }
    }
    let page = text(&out, &format!("publicity/penalty/{PERSON}.html"));
    let masked = xycz_domain::checkdigit::mask_id(&person.values["证件号码"]);
    assert!(page.contains(&masked), "{page}");
}

#[test]
fn a_revoked_record_disappears() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let mut records = fixture_records();
    full_build(dir.path(), records.clone());

    let target = records.iter_mut().find(|r| r.id == 5).unwrap();
    let name = name_of(target);
    assert!(text(&files(dir.path()), "publicity/penalty/index.html").contains(&name));
    target.state.status = RecordStatus::Revoked;

    let summary = xycz_site::build(
        &config(dir.path()),
        &catalog,
        records,
        BuildMode::Incremental {
            changed_ids: HashSet::from([5]),
        },
    )
    .unwrap();
    assert!(summary.incremental);
    assert!(summary.pages_removed >= 1);

    let out = files(dir.path());
    assert!(!out.contains_key("publicity/penalty/5.html"));
    for (path, bytes) in &out {
        assert!(
            !String::from_utf8_lossy(bytes).contains(&name),
            "{path} still shows the revoked record"
        );
    }
}

#[test]
fn incremental_rebuild_after_one_change_rewrites_only_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let mut records = fixture_records();
    full_build(dir.path(), records.clone());

    // Age every file so a rewrite shows in its modification time.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for path in files(dir.path()).keys() {
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join(path))
            .unwrap();
        file.set_modified(old).unwrap();
    }

    let target = records.iter_mut().find(|r| r.id == 7).unwrap();
    target
        .values
        .insert("行政相对人名称".into(), "长治市示例更名有限公司".into());
    let summary = xycz_site::build(
        &config(dir.path()),
        &catalog,
        records,
        BuildMode::Incremental {
            changed_ids: HashSet::from([7]),
        },
    )
    .unwrap();
    assert!(summary.incremental);

    let mut rewritten = Vec::new();
    for path in files(dir.path()).keys() {
        let modified = std::fs::metadata(dir.path().join(path))
            .unwrap()
            .modified()
            .unwrap();
        if modified != old && !path.starts_with(".xycz-") {
            rewritten.push(path.clone());
        }
    }
    assert!(
        rewritten.contains(&"publicity/penalty/7.html".to_string()),
        "{rewritten:?}"
    );
    assert!(
        rewritten.contains(&"publicity/penalty/index.html".to_string()),
        "{rewritten:?}"
    );
    assert!(
        rewritten.contains(&"search/d/0.json".to_string()),
        "{rewritten:?}"
    );
    for path in &rewritten {
        let expected = path == "publicity/penalty/7.html"
            || path == "publicity/penalty/index.html"
            || path.starts_with("publicity/penalty/p/")
            || path == "search/d/0.json"
            || path.starts_with("search/t/");
        assert!(expected, "{path} was rewritten: {rewritten:?}");
    }
    assert_eq!(summary.pages_written, rewritten.len(), "{rewritten:?}");
    assert!(text(&files(dir.path()), "publicity/penalty/7.html").contains("长治市示例更名有限公司"));
}

#[test]
fn an_incremental_build_without_earlier_state_asks_for_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let err = xycz_site::build(
        &config(dir.path()),
        &Catalog::builtin(),
        Vec::new(),
        BuildMode::Incremental {
            changed_ids: HashSet::new(),
        },
    )
    .unwrap_err();
    assert!(
        err.downcast_ref::<xycz_site::FullBuildRequired>().is_some(),
        "{err:#}"
    );
    assert!(!dir.path().join("index.html").exists());
}

#[test]
fn an_incremental_build_after_a_template_change_asks_for_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_dir(&repo().join("templates"), &templates);
    let mut config = config(&dir.path().join("public"));
    config.templates_dir = templates.clone();
    xycz_site::build(
        &config,
        &Catalog::builtin(),
        fixture_records(),
        BuildMode::Full,
    )
    .unwrap();

    let footer = templates.join("404.html");
    let text = std::fs::read_to_string(&footer)
        .unwrap()
        .replace("页面不存在", "页面找不到");
    std::fs::write(&footer, text).unwrap();
    let err = xycz_site::build(
        &config,
        &Catalog::builtin(),
        Vec::new(),
        BuildMode::Incremental {
            changed_ids: HashSet::from([1]),
        },
    )
    .unwrap_err();
    assert!(
        err.downcast_ref::<xycz_site::FullBuildRequired>().is_some(),
        "{err:#}"
    );
    // The site is intact.
    assert!(dir.path().join("public/publicity/penalty/1.html").exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn a_broken_link_fails_the_build_naming_page_and_link() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(&repo().join("content"), &content);
    let about = content.join("pages/about.md");
    let mut text = std::fs::read_to_string(&about).unwrap();
    text.push_str("\n[不存在的页面](/nowhere.html)\n");
    std::fs::write(&about, text).unwrap();

    let mut config = config(&dir.path().join("public"));
    config.content_dir = content;
    let err =
        xycz_site::build(&config, &Catalog::builtin(), Vec::new(), BuildMode::Full).unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("about.html") && message.contains("/nowhere.html"),
        "{message}"
    );
}

#[test]
fn a_broken_template_link_fails_the_build_naming_page_and_link() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(&repo().join("content"), &content);
    let chapter = content.join("manual/report.md");
    let mut text = std::fs::read_to_string(&chapter).unwrap();
    text.push_str("\n[旧模板](xlsx:no-such-dataset)\n");
    std::fs::write(&chapter, text).unwrap();

    let mut config = config(&dir.path().join("public"));
    config.content_dir = content;
    let err =
        xycz_site::build(&config, &Catalog::builtin(), Vec::new(), BuildMode::Full).unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("content/manual/report.md") && message.contains("xlsx:no-such-dataset"),
        "{message}"
    );
}

#[test]
fn the_daily_full_build_drops_records_whose_window_ended() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let records = vec![
        sample::penalty(1, today(), 30),
        sample::licence(2, today(), 30),
    ];
    full_build(dir.path(), records.clone());
    assert!(dir.path().join("publicity/penalty/1.html").exists());

    // A year later the general penalty's window (at most 12 months) has ended; the licence,
    // valid for five years, stays.
    let mut later = config(dir.path());
    later.today = today() + chrono::Duration::days(365);
    let summary = xycz_site::build(&later, &catalog, records, BuildMode::Full).unwrap();
    assert_eq!(summary.records_public, 1);
    assert!(!dir.path().join("publicity/penalty/1.html").exists());
    assert!(dir.path().join("publicity/licensing/2.html").exists());
    let list = std::fs::read_to_string(dir.path().join("publicity/penalty/index.html")).unwrap();
    assert!(list.contains("目前没有公示中的行政处罚信息"));
}

#[test]
fn incremental_builds_end_where_a_full_build_would() {
    let catalog = Catalog::builtin();
    let incremental = tempfile::tempdir().unwrap();
    let mut records = fixture_records();
    full_build(incremental.path(), records.clone());

    // Rename one, revoke one, make a hidden one public, and add a new one.
    records
        .iter_mut()
        .find(|r| r.id == 9)
        .unwrap()
        .values
        .insert("行政相对人名称".into(), "长治市另一个示例有限公司".into());
    records
        .iter_mut()
        .find(|r| r.id == 12)
        .unwrap()
        .state
        .status = RecordStatus::Revoked;
    records
        .iter_mut()
        .find(|r| r.id == 109)
        .unwrap()
        .state
        .repaired = false;
    records.push(sample::penalty(201, today(), 0));
    let changed = HashSet::from([9, 12, 109, 201]);
    let summary = xycz_site::build(
        &config(incremental.path()),
        &catalog,
        records.clone(),
        BuildMode::Incremental {
            changed_ids: changed,
        },
    )
    .unwrap();
    assert!(summary.incremental);

    let full = tempfile::tempdir().unwrap();
    full_build(full.path(), records);

    assert_same_files(incremental.path(), full.path(), site_file);
}

/// An incremental build of a large change (detail pages rendered on several threads) writes
/// the same pages as a full build of the same records.
#[test]
fn a_large_incremental_change_matches_a_full_build() {
    let incremental_dir = tempfile::tempdir().unwrap();
    let full_dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let mut records = fixture_records();
    full_build(incremental_dir.path(), records.clone());

    let added: Vec<PublicRecordInput> = (1000..1400)
        .map(|id| {
            if id % 2 == 0 {
                sample::licence(id, today(), id % 300)
            } else {
                sample::penalty(id, today(), id % 300)
            }
        })
        .collect();
    let changed_ids: HashSet<i64> = added.iter().map(|r| r.id).collect();
    records.extend(added);
    let summary = xycz_site::build(
        &config(incremental_dir.path()),
        &catalog,
        records.clone(),
        BuildMode::Incremental { changed_ids },
    )
    .unwrap();
    assert!(summary.incremental);
    assert!(summary.pages_written >= 400, "{summary:?}");

    full_build(full_dir.path(), records);
    assert_same_files(incremental_dir.path(), full_dir.path(), |p| {
        p.starts_with("publicity/") && p.ends_with(".html")
    });
}

/// `ChangedRecords`: only the changed records are given, with no list of ids, as the platform
/// streams them from the database; renamed, revoked and new records end as in a full build.
#[test]
fn changed_records_alone_update_the_site_like_a_full_build() {
    let incremental_dir = tempfile::tempdir().unwrap();
    let full_dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::builtin();
    let mut records = fixture_records();
    full_build(incremental_dir.path(), records.clone());

    let mut changed: Vec<PublicRecordInput> = (1000..1300)
        .map(|id| sample::penalty(id, today(), id % 300))
        .collect();
    for record in records.iter_mut() {
        if record.id == 9 {
            record
                .values
                .insert("行政相对人名称".into(), "长治市另一个示例有限公司".into());
            changed.push(record.clone());
        } else if record.id == 12 {
            record.state.status = RecordStatus::Revoked;
            changed.push(record.clone());
        }
    }
    records.extend(changed[..300].iter().cloned());
    let summary = xycz_site::build(
        &config(incremental_dir.path()),
        &catalog,
        changed,
        BuildMode::ChangedRecords,
    )
    .unwrap();
    assert!(summary.incremental);
    assert!(summary.pages_written >= 300, "{summary:?}");
    let licences = incremental_dir.path().join("publicity/licensing");
    assert!(
        licences.join("10.html").is_file(),
        "an unchanged page is gone"
    );
    assert!(
        !licences.join("12.html").exists(),
        "the revoked record's page is left"
    );

    full_build(full_dir.path(), records);
    assert_same_files(incremental_dir.path(), full_dir.path(), site_file);
}
