//! The storage API, the same cases on SQLite and on PostgreSQL.

mod common;

use std::collections::HashSet;

use chrono::TimeDelta;
use common::*;
use xycz_store::{
    AuthPolicy, LoginOutcome, LoginRejection, NewRecord, RecordFilter, RecordState, Role, Scope,
    StoreError, UploadFilter, UploadStatus,
};

both_backends!(
    import_counts_inserts_updates_and_duplicates,
    an_upload_and_its_rows_are_recorded_together,
    large_imports_keep_every_row_and_repeated_keys,
    revoke_keeps_the_record,
    withdraw_marks_records_deleted_and_reimport_restores,
    manual_entry_and_modification_keep_versions,
    record_list_pages_by_keyset_with_filters,
    reupload_is_detected_until_deleted,
    upload_history_filters_and_pages,
    units_cannot_reach_each_others_data,
    lockout_after_failures_and_unlock_after_time,
    sessions_expire_when_idle_and_absolutely,
    passwords_disable_and_logout,
    concurrent_importers_lose_nothing,
    publicity_feed_and_changes,
    stats_count_records_rows_and_timeliness,
);

async fn import_counts_inserts_updates_and_duplicates(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let first = upload(store, &user, "penalty", "sha-1").await;

    let rows: Vec<NewRecord> = (1..=3)
        .map(|n| record(n, date(2024, 3, n), "罚款"))
        .collect();
    let counts = store
        .import_records(&actor(&user), unit.id, first.id, "penalty", &rows)
        .await
        .unwrap();
    assert_eq!(
        (counts.imported, counts.updated, counts.duplicates),
        (3, 0, 0)
    );

    let second = upload(store, &user, "penalty", "sha-2").await;
    let mut again = rows.clone();
    again[1].values = serde_json::json!({ "处罚内容": "警告" });
    let counts = store
        .import_records(&actor(&user), unit.id, second.id, "penalty", &again)
        .await
        .unwrap();
    assert_eq!(
        (counts.imported, counts.updated, counts.duplicates),
        (0, 1, 2)
    );

    // The counts are kept on the upload, and the old version is kept beside the new one.
    let stored = store.get_upload(Scope::All, second.id).await.unwrap();
    assert_eq!(
        (
            stored.imported_count,
            stored.updated_count,
            stored.duplicate_count
        ),
        (0, 1, 2)
    );
    let page = store
        .list_records(&RecordFilter {
            search: Some(rows[1].subject_name.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let detail = store
        .get_record(Scope::All, page.items[0].id)
        .await
        .unwrap();
    assert_eq!(detail.record.version, 2);
    assert_eq!(detail.record.upload_id, Some(second.id));
    assert_eq!(detail.record.values["处罚内容"], "警告");
    assert_eq!(detail.versions.len(), 2);
    assert_eq!(detail.versions[0].values["处罚内容"], "罚款");
    assert_eq!(detail.versions[0].upload_id, Some(first.id));
    assert_eq!(detail.versions[1].upload_id, Some(second.id));
    assert_eq!(detail.versions[1].values["处罚内容"], "警告");
    assert_eq!(
        detail
            .versions
            .iter()
            .map(|v| (
                v.version,
                v.user_id,
                v.content_hash == detail.record.content_hash
            ))
            .collect::<Vec<_>>(),
        vec![(1, Some(user.id), false), (2, Some(user.id), true)]
    );

    let audit = store
        .list_audit(Scope::Unit(unit.id), None, 50)
        .await
        .unwrap();
    let imports: Vec<_> = audit
        .items
        .iter()
        .filter(|e| e.action == "records.import")
        .collect();
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0].upload_id, Some(second.id));
    assert_eq!(imports[0].address.as_deref(), Some("10.1.2.3"));
    assert_eq!(imports[0].user_id, Some(user.id));
}

/// `create_upload_with_records`: the entry and its rows in one transaction. A file already
/// recorded is a conflict that writes neither.
async fn an_upload_and_its_rows_are_recorded_together(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let rows: Vec<NewRecord> = (1..=3)
        .map(|n| record(n, date(2024, 3, n), "罚款"))
        .collect();

    let (created, counts) = store
        .create_upload_with_records(&actor(&user), &new_upload(&user, "penalty", "sha-t"), &rows)
        .await
        .unwrap();
    assert_eq!(
        (counts.imported, counts.updated, counts.duplicates),
        (3, 0, 0)
    );
    assert_eq!(created.imported_count, 3);
    let stored = store.get_upload(Scope::All, created.id).await.unwrap();
    assert_eq!((stored.imported_count, stored.valid_count), (3, 8));
    let all_records = || async {
        let filter = RecordFilter {
            limit: 10,
            ..Default::default()
        };
        store.list_records(&filter).await.unwrap().items
    };
    let records = all_records().await;
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.upload_id == Some(created.id)));

    // The same file again, with other rows: refused, and none of them is stored.
    let more: Vec<NewRecord> = (4..=5)
        .map(|n| record(n, date(2024, 3, n), "罚款"))
        .collect();
    let again = store
        .create_upload_with_records(&actor(&user), &new_upload(&user, "penalty", "sha-t"), &more)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(all_records().await.len(), 3);
}

/// An import larger than one statement's batch, with a key given twice in the same upload: every
/// row lands once, with its own content in its version, and the repeated key becomes a version.
async fn large_imports_keep_every_row_and_repeated_keys(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let first = upload(store, &user, "penalty", "sha-large-1").await;

    let mut rows: Vec<NewRecord> = (1..=1203)
        .map(|n| record(n, date(2024, 1 + n % 12, 1 + n % 28), &format!("罚款{n}")))
        .collect();
    let mut repeated = rows[7].clone();
    repeated.values = serde_json::json!({ "处罚内容": "第二次" });
    rows.push(repeated);
    rows.push(rows[8].clone());
    let counts = store
        .import_records(&actor(&user), unit.id, first.id, "penalty", &rows)
        .await
        .unwrap();
    assert_eq!(
        (counts.imported, counts.updated, counts.duplicates),
        (1203, 1, 1)
    );

    for n in [1u32, 8, 500, 501, 1203] {
        let page = store
            .list_records(&RecordFilter {
                search: Some(format!("长治市第{n}商贸有限公司")),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "record {n}");
        let detail = store
            .get_record(Scope::All, page.items[0].id)
            .await
            .unwrap();
        let contents: Vec<&str> = detail
            .versions
            .iter()
            .map(|v| v.values["处罚内容"].as_str().unwrap())
            .collect();
        let expected = if n == 8 {
            vec!["罚款8".to_owned(), "第二次".to_owned()]
        } else {
            vec![format!("罚款{n}")]
        };
        assert_eq!(contents, expected, "record {n}");
        assert_eq!(detail.record.version, expected.len() as i64);
        assert_eq!(
            detail.record.values["处罚内容"],
            expected[expected.len() - 1].as_str()
        );
        assert_eq!(
            detail.record.doc_no.as_deref(),
            Some(format!("长罚〔2024〕{n}号").as_str())
        );
    }

    // The same rows again: all duplicates but the repeated key, whose two rows each differ from
    // the version stored before them.
    let second = upload(store, &user, "penalty", "sha-large-2").await;
    let counts = store
        .import_records(&actor(&user), unit.id, second.id, "penalty", &rows)
        .await
        .unwrap();
    assert_eq!(
        (counts.imported, counts.updated, counts.duplicates),
        (0, 2, 1203)
    );
}

async fn revoke_keeps_the_record(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let up = upload(store, &user, "penalty", "sha-1").await;
    store
        .import_records(
            &actor(&user),
            unit.id,
            up.id,
            "penalty",
            &[record(1, date(2024, 1, 2), "罚款")],
        )
        .await
        .unwrap();
    let id = store
        .list_records(&RecordFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .items[0]
        .id;

    let revoked = store
        .revoke_record(&actor(&user), Scope::Unit(unit.id), id, "决定已被复议撤销")
        .await
        .unwrap();
    assert_eq!(revoked.state, RecordState::Revoked);
    assert_eq!(revoked.revoked_reason.as_deref(), Some("决定已被复议撤销"));
    assert_eq!(revoked.revoked_by, Some(user.id));
    assert!(revoked.revoked_at.is_some());

    let again = store
        .revoke_record(&actor(&user), Scope::Unit(unit.id), id, "again")
        .await;
    assert!(matches!(again, Err(StoreError::InvalidState(_))));

    // Still there, still readable, off the publicity feed.
    let detail = store.get_record(Scope::Unit(unit.id), id).await.unwrap();
    assert_eq!(detail.record.state, RecordState::Revoked);
    assert!(store
        .publicity_page("penalty", 0, 100)
        .await
        .unwrap()
        .is_empty());
    let audit = store
        .list_audit(Scope::Unit(unit.id), None, 50)
        .await
        .unwrap();
    assert!(audit.items.iter().any(
        |e| e.action == "record.revoke" && e.target.as_deref() == Some(id.to_string().as_str())
    ));
}

async fn withdraw_marks_records_deleted_and_reimport_restores(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let first = upload(store, &user, "penalty", "sha-1").await;
    let rows: Vec<NewRecord> = (1..=4)
        .map(|n| record(n, date(2024, 2, n), "罚款"))
        .collect();
    store
        .import_records(&actor(&user), unit.id, first.id, "penalty", &rows)
        .await
        .unwrap();

    // A later upload takes over one record: withdrawing the first upload leaves that one alone.
    let second = upload(store, &user, "penalty", "sha-2").await;
    let mut changed = rows[0].clone();
    changed.values = serde_json::json!({ "处罚内容": "改" });
    store
        .import_records(&actor(&user), unit.id, second.id, "penalty", &[changed])
        .await
        .unwrap();

    let withdrawn = store
        .withdraw_upload_records(&actor(&user), Scope::Unit(unit.id), first.id)
        .await
        .unwrap();
    assert_eq!(withdrawn, 3);
    let deleted = store
        .list_records(&RecordFilter {
            state: Some(RecordState::Deleted),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(deleted.items.len(), 3);
    let first_after = store.get_upload(Scope::All, first.id).await.unwrap();
    assert!(first_after.records_withdrawn_at.is_some());
    assert_eq!(
        store.publicity_page("penalty", 0, 100).await.unwrap().len(),
        1
    );

    // Nothing was removed: every version is still there.
    let detail = store
        .get_record(Scope::All, deleted.items[0].id)
        .await
        .unwrap();
    assert_eq!(detail.versions.len(), 1);

    // Withdrawing again changes nothing; uploading the same rows again brings them back.
    assert_eq!(
        store
            .withdraw_upload_records(&actor(&user), Scope::All, first.id)
            .await
            .unwrap(),
        0
    );
    let third = upload(store, &user, "penalty", "sha-3").await;
    let counts = store
        .import_records(&actor(&user), unit.id, third.id, "penalty", &rows[1..])
        .await
        .unwrap();
    assert_eq!(
        (counts.imported, counts.updated, counts.duplicates),
        (3, 0, 0)
    );
    assert_eq!(
        store.publicity_page("penalty", 0, 100).await.unwrap().len(),
        4
    );
}

async fn manual_entry_and_modification_keep_versions(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let new = record(7, date(2024, 5, 6), "罚款");

    let created = store
        .create_record(&actor(&user), unit.id, "penalty", &new)
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.upload_id, None);
    assert_eq!(created.decision_date, Some(date(2024, 5, 6)));
    let duplicate = store
        .create_record(&actor(&user), unit.id, "penalty", &new)
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));

    let mut edit = new.clone();
    edit.subject_name = "长治市第七商贸有限公司".into();
    let modified = store
        .modify_record(&actor(&user), Scope::Unit(unit.id), created.id, &edit)
        .await
        .unwrap();
    assert_eq!(modified.version, 2);
    assert_eq!(modified.subject_name, "长治市第七商贸有限公司");
    assert!(modified.changed_seq > created.changed_seq);

    let detail = store
        .get_record(Scope::Unit(unit.id), created.id)
        .await
        .unwrap();
    let names: Vec<&str> = detail
        .versions
        .iter()
        .map(|v| v.subject_name.as_str())
        .collect();
    assert_eq!(names, ["长治市第7商贸有限公司", "长治市第七商贸有限公司"]);
    assert!(detail.versions.iter().all(|v| v.user_id == Some(user.id)));
}

async fn record_list_pages_by_keyset_with_filters(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let up = upload(store, &user, "penalty", "sha-1").await;
    let rows: Vec<NewRecord> = (1..=25)
        // Dates out of id order, several records a day.
        .map(|n| record(n, date(2024, 1, (n * 7) % 12 + 1), "罚款"))
        .collect();
    store
        .import_records(&actor(&user), unit.id, up.id, "penalty", &rows)
        .await
        .unwrap();
    let licence = upload(store, &user, "licensing", "sha-2").await;
    store
        .import_records(&actor(&user), unit.id, licence.id, "licensing", &rows[..5])
        .await
        .unwrap();

    let mut filter = RecordFilter {
        scope: Some(Scope::Unit(unit.id)),
        dataset: Some("penalty".into()),
        limit: 10,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list_records(&filter).await.unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|r| (r.sort_date, r.id)));
        match page.next_cursor {
            Some(cursor) => filter.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(pages <= 4);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest decision first, then highest id; no repeats: {seen:?}"
    );

    let in_range = store
        .list_records(&RecordFilter {
            dataset: Some("penalty".into()),
            decided_from: Some(date(2024, 1, 10)),
            decided_to: Some(date(2024, 1, 14)),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let expected = rows
        .iter()
        .filter(|r| (date(2024, 1, 10)..=date(2024, 1, 14)).contains(&r.decision_date.unwrap()))
        .count();
    assert!(expected > 0);
    assert_eq!(in_range.items.len(), expected);
    assert!(in_range.next_cursor.is_none());

    // A record without a decision date sorts by the day it was stored, and date filters skip it.
    let mut undated = record(99, date(2024, 1, 1), "无日期");
    undated.decision_date = None;
    let manual = store
        .create_record(&actor(&user), unit.id, "penalty", &undated)
        .await
        .unwrap();
    assert!(manual.sort_date >= chrono::Utc::now().date_naive() - TimeDelta::days(1));
    let first = store
        .list_records(&RecordFilter {
            dataset: Some("penalty".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.items[0].id, manual.id);
    let dated = store
        .list_records(&RecordFilter {
            dataset: Some("penalty".into()),
            decided_from: Some(date(2000, 1, 1)),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dated.items.len(), 25);

    let by_doc = store
        .list_records(&RecordFilter {
            search: Some("〔2024〕13号".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_doc.items.len(), 1);
    let by_code = store
        .list_records(&RecordFilter {
            search: Some("MA00000012".into()),
            dataset: Some("penalty".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_code.items.len(), 1);
    let wildcard = store
        .list_records(&RecordFilter {
            search: Some("%".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        wildcard.items.is_empty(),
        "LIKE wildcards are matched literally"
    );
}

async fn reupload_is_detected_until_deleted(env: Env) {
    let store = &env.store;
    let unit_a = unit(store, UNIT_A_CODE, "市场监管局").await;
    let unit_b = unit(store, UNIT_B_CODE, "税务局").await;
    let a = user(store, &unit_a, "a", Role::Reporter).await;
    let b = user(store, &unit_b, "b", Role::Reporter).await;

    let first = upload(store, &a, "penalty", "same-hash").await;
    let found = store
        .find_upload_by_sha256(unit_a.id, "penalty", "same-hash")
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(first.id));
    assert!(store
        .find_upload_by_sha256(unit_b.id, "penalty", "same-hash")
        .await
        .unwrap()
        .is_none());

    let again = store
        .create_upload(&actor(&a), &new_upload_like(&first))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    // Another unit may send the same file, and so may the unit for another dataset.
    upload(store, &b, "penalty", "same-hash").await;
    let other_dataset = upload(store, &a, "licensing", "same-hash").await;
    assert_ne!(other_dataset.id, first.id);
    assert!(store
        .find_upload_by_sha256(unit_a.id, "licensing", "same-hash")
        .await
        .unwrap()
        .is_some_and(|u| u.id == other_dataset.id));

    let deleted = store
        .delete_upload(&actor(&a), Scope::Unit(unit_a.id), first.id)
        .await
        .unwrap();
    assert_eq!(deleted.status, UploadStatus::Deleted);
    assert!(deleted.deleted_at.is_some());
    assert!(store
        .find_upload_by_sha256(unit_a.id, "penalty", "same-hash")
        .await
        .unwrap()
        .is_none());
    let second = upload(store, &a, "penalty", "same-hash").await;
    assert_ne!(second.id, first.id);

    let checked = store
        .update_upload_check(
            second.id,
            UploadStatus::Failed,
            3,
            0,
            3,
            &serde_json::json!({"x": 1}),
        )
        .await
        .unwrap();
    assert_eq!(
        (checked.status, checked.invalid_count),
        (UploadStatus::Failed, 3)
    );
    assert_eq!(checked.report["x"], 1);
}

fn new_upload_like(upload: &xycz_store::Upload) -> xycz_store::NewUpload {
    xycz_store::NewUpload {
        unit_id: upload.unit_id,
        user_id: upload.user_id,
        dataset: upload.dataset.clone(),
        file_name: upload.file_name.clone(),
        sha256: upload.sha256.clone(),
        size: upload.size,
        object_key: upload.object_key.clone(),
        status: upload.status,
        row_count: upload.row_count,
        valid_count: upload.valid_count,
        invalid_count: upload.invalid_count,
        report: upload.report.clone(),
    }
}

async fn upload_history_filters_and_pages(env: Env) {
    let store = &env.store;
    let unit_a = unit(store, UNIT_A_CODE, "市场监管局").await;
    let unit_b = unit(store, UNIT_B_CODE, "税务局").await;
    let a = user(store, &unit_a, "a", Role::Reporter).await;
    let b = user(store, &unit_b, "b", Role::Reporter).await;
    for n in 0..7 {
        upload(store, &a, "penalty", &format!("a-{n}")).await;
    }
    env.advance(TimeDelta::days(2));
    for n in 0..3 {
        upload(store, &a, "licensing", &format!("a-l-{n}")).await;
        upload(store, &b, "penalty", &format!("b-{n}")).await;
    }

    let mut filter = UploadFilter {
        scope: Some(Scope::Unit(unit_a.id)),
        limit: 4,
        ..Default::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = store.list_uploads(&filter).await.unwrap();
        assert!(page.items.iter().all(|u| u.unit_id == unit_a.id));
        ids.extend(page.items.iter().map(|u| u.id));
        match page.next_cursor {
            Some(cursor) => filter.before_id = Some(cursor),
            None => break,
        }
    }
    assert_eq!(ids.len(), 10);
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    let listed = store
        .list_uploads(&UploadFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        listed.items[0].report.is_null(),
        "lists leave the report out"
    );
    let full = store
        .get_upload(Scope::All, listed.items[0].id)
        .await
        .unwrap();
    assert_eq!(full.report["errors"], serde_json::json!([]));

    let penalty = store
        .list_uploads(&UploadFilter {
            dataset: Some("penalty".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(penalty.items.len(), 10);

    let recent = store
        .list_uploads(&UploadFilter {
            scope: Some(Scope::Unit(unit_a.id)),
            created_from: Some(chrono::Utc::now() + TimeDelta::days(1)),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(recent.items.len(), 3);
    let older = store
        .list_uploads(&UploadFilter {
            created_to: Some(chrono::Utc::now() + TimeDelta::days(1)),
            status: Some(UploadStatus::Checked),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(older.items.len(), 7);
}

async fn units_cannot_reach_each_others_data(env: Env) {
    let store = &env.store;
    let unit_a = unit(store, UNIT_A_CODE, "市场监管局").await;
    let unit_b = unit(store, UNIT_B_CODE, "税务局").await;
    let a = user(store, &unit_a, "a", Role::Reporter).await;
    let b = user(store, &unit_b, "b", Role::Reporter).await;
    let up = upload(store, &a, "penalty", "sha-a").await;
    store
        .import_records(
            &actor(&a),
            unit_a.id,
            up.id,
            "penalty",
            &[record(1, date(2024, 1, 1), "x")],
        )
        .await
        .unwrap();
    let record_id = store
        .list_records(&RecordFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .items[0]
        .id;
    let b_scope = Scope::Unit(unit_b.id);

    assert!(matches!(
        store.get_upload(b_scope, up.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_record(b_scope, record_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .revoke_record(&actor(&b), b_scope, record_id, "x")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .modify_record(
                &actor(&b),
                b_scope,
                record_id,
                &record(1, date(2024, 1, 1), "y")
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .withdraw_upload_records(&actor(&b), b_scope, up.id)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_upload(&actor(&b), b_scope, up.id).await,
        Err(StoreError::NotFound)
    ));
    let listed = store
        .list_records(&RecordFilter {
            scope: Some(b_scope),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    let history = store
        .list_uploads(&UploadFilter {
            scope: Some(b_scope),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(history.items.is_empty());

    // The record is untouched, and the owner and the credit office still see it.
    let own = store
        .get_record(Scope::Unit(unit_a.id), record_id)
        .await
        .unwrap();
    assert_eq!(
        (own.record.state, own.record.version),
        (RecordState::Active, 1)
    );
    assert!(store.get_upload(Scope::All, up.id).await.is_ok());
}

async fn lockout_after_failures_and_unlock_after_time(env: Env) {
    let store = &env.store;
    let policy = AuthPolicy::default();
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let short = store
        .create_user(
            &xycz_store::Actor::system(),
            &xycz_store::NewUser {
                username: "short".into(),
                unit_id: unit.id,
                role: Role::Reporter,
                password: "九个字符的密码啊啊".into(),
            },
            &policy,
        )
        .await;
    assert!(matches!(short, Err(StoreError::WeakPassword { min: 10 })));
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let address = Some("10.9.8.7");

    for _ in 0..4 {
        let outcome = store
            .login("reporter", "wrong password!", address, &policy)
            .await
            .unwrap();
        assert_eq!(
            outcome,
            LoginOutcome::Rejected(LoginRejection::BadCredentials)
        );
    }
    let fifth = store
        .login("reporter", "wrong password!", address, &policy)
        .await
        .unwrap();
    let LoginOutcome::Rejected(LoginRejection::Locked { until }) = fifth else {
        panic!("expected a lock, got {fifth:?}");
    };
    assert!(LoginRejection::Locked { until }.message().contains("锁定"));

    // Locked: even the right password is refused.
    let locked = store
        .login("reporter", PASSWORD, address, &policy)
        .await
        .unwrap();
    assert!(matches!(
        locked,
        LoginOutcome::Rejected(LoginRejection::Locked { .. })
    ));
    let unknown = store
        .login("nobody", PASSWORD, address, &policy)
        .await
        .unwrap();
    assert_eq!(
        unknown,
        LoginOutcome::Rejected(LoginRejection::BadCredentials)
    );

    env.advance(TimeDelta::minutes(14));
    let still = store
        .login("reporter", PASSWORD, address, &policy)
        .await
        .unwrap();
    assert!(matches!(
        still,
        LoginOutcome::Rejected(LoginRejection::Locked { .. })
    ));
    env.advance(TimeDelta::minutes(2));
    let LoginOutcome::Success(session) = store
        .login("reporter", PASSWORD, address, &policy)
        .await
        .unwrap()
    else {
        panic!("the lock should have run out");
    };
    assert_eq!(session.user.id, user.id);
    assert_eq!(session.user.failed_attempts, 0);

    // After a lock runs out, one failure does not lock again.
    let outcome = store
        .login("reporter", "wrong password!", address, &policy)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        LoginOutcome::Rejected(LoginRejection::BadCredentials)
    );

    let audit = store.list_audit(Scope::All, None, 100).await.unwrap();
    let count = |action: &str| audit.items.iter().filter(|e| e.action == action).count();
    assert_eq!(count("login.failure"), 7, "5 + unknown user + 1");
    assert_eq!(count("user.locked"), 1);
    assert_eq!(count("login.refused_locked"), 2);
    assert_eq!(count("login.success"), 1);
    assert!(audit
        .items
        .iter()
        .filter(|e| e.action.starts_with("login."))
        .all(|e| e.address.as_deref() == Some("10.9.8.7")));
}

async fn sessions_expire_when_idle_and_absolutely(env: Env) {
    let store = &env.store;
    let policy = AuthPolicy::default();
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    user(store, &unit, "reporter", Role::Reporter).await;
    let login = || async {
        match store
            .login("reporter", PASSWORD, None, &policy)
            .await
            .unwrap()
        {
            LoginOutcome::Success(session) => session,
            other => panic!("login failed: {other:?}"),
        }
    };

    let session = login().await;
    assert_eq!(session.token.len(), 64);
    assert_eq!(session.csrf_token.len(), 64);
    assert_ne!(session.token, session.csrf_token);
    let found = store
        .session(&session.token, &policy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.csrf_token, session.csrf_token);
    assert!(store
        .session("not-a-token", &policy)
        .await
        .unwrap()
        .is_none());

    // Idle: each use moves the deadline; 30 minutes without use ends the session.
    env.advance(TimeDelta::minutes(25));
    assert!(store
        .session(&session.token, &policy)
        .await
        .unwrap()
        .is_some());
    env.advance(TimeDelta::minutes(25));
    assert!(store
        .session(&session.token, &policy)
        .await
        .unwrap()
        .is_some());
    env.advance(TimeDelta::minutes(31));
    assert!(store
        .session(&session.token, &policy)
        .await
        .unwrap()
        .is_none());

    // Absolute: however busy, 12 hours after login the session ends.
    let busy = login().await;
    for _ in 0..(12 * 3 - 1) {
        env.advance(TimeDelta::minutes(20));
        assert!(store.session(&busy.token, &policy).await.unwrap().is_some());
    }
    env.advance(TimeDelta::minutes(20));
    assert!(store.session(&busy.token, &policy).await.unwrap().is_none());
}

async fn passwords_disable_and_logout(env: Env) {
    let store = &env.store;
    let policy = AuthPolicy::default();
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let admin = common::user(store, &unit, "admin", Role::Admin).await;
    let policy = &policy;
    let login = |password: &'static str| async move {
        store
            .login("reporter", password, None, policy)
            .await
            .unwrap()
    };

    let LoginOutcome::Success(first) = login(PASSWORD).await else {
        panic!("login")
    };
    store.logout(&first.token, Some("10.0.0.1")).await.unwrap();
    assert!(store.session(&first.token, policy).await.unwrap().is_none());

    let LoginOutcome::Success(second) = login(PASSWORD).await else {
        panic!("login")
    };
    let wrong = store
        .change_password(
            &actor(&user),
            user.id,
            Some("not my password"),
            "a new password 1",
            policy,
        )
        .await;
    assert!(matches!(wrong, Err(StoreError::WrongPassword)));
    let weak = store
        .change_password(&actor(&user), user.id, Some(PASSWORD), "short", policy)
        .await;
    assert!(matches!(weak, Err(StoreError::WeakPassword { .. })));
    store
        .change_password(
            &actor(&user),
            user.id,
            Some(PASSWORD),
            "a new password 1",
            policy,
        )
        .await
        .unwrap();
    assert!(store
        .session(&second.token, policy)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        login(PASSWORD).await,
        LoginOutcome::Rejected(LoginRejection::BadCredentials)
    );
    let LoginOutcome::Success(third) = login("a new password 1").await else {
        panic!("login")
    };

    let disabled = store
        .set_user_active(&actor(&admin), user.id, false)
        .await
        .unwrap();
    assert!(!disabled.active);
    assert!(store.session(&third.token, policy).await.unwrap().is_none());
    assert_eq!(
        login("a new password 1").await,
        LoginOutcome::Rejected(LoginRejection::Disabled)
    );
    // A wrong password on a disabled account says nothing about the account.
    assert_eq!(
        login("wrong password!").await,
        LoginOutcome::Rejected(LoginRejection::BadCredentials)
    );

    let users = store.list_users(Scope::Unit(unit.id)).await.unwrap();
    assert_eq!(users.len(), 2);
    let audit = store.list_audit(Scope::All, None, 100).await.unwrap();
    for action in [
        "logout",
        "user.password",
        "user.disable",
        "login.refused_disabled",
    ] {
        assert!(audit.items.iter().any(|e| e.action == action), "{action}");
    }
}

async fn concurrent_importers_lose_nothing(env: Env) {
    let store = env.store.clone();
    let unit = unit(&store, UNIT_A_CODE, "市场监管局").await;
    let user = user(&store, &unit, "reporter", Role::Reporter).await;

    // 20 importers, each with 40 rows overlapping its neighbours: 20 * 40 rows, 135 keys.
    let mut tasks = Vec::new();
    for importer in 0..20u32 {
        let store = store.clone();
        let user = user.clone();
        let unit_id = unit.id;
        tasks.push(tokio::spawn(async move {
            let up = upload(&store, &user, "penalty", &format!("sha-{importer}")).await;
            let rows: Vec<NewRecord> = (importer * 5..importer * 5 + 40)
                .map(|n| record(n, date(2024, 6, 1 + n % 28), "罚款"))
                .collect();
            store
                .import_records(&actor(&user), unit_id, up.id, "penalty", &rows)
                .await
                .expect("import")
        }));
    }
    let mut imported = 0;
    let mut duplicates = 0;
    for task in tasks {
        let counts = task.await.unwrap();
        assert_eq!(counts.updated, 0);
        imported += counts.imported;
        duplicates += counts.duplicates;
    }
    let keys: HashSet<u32> = (0..20u32).flat_map(|i| i * 5..i * 5 + 40).collect();
    assert_eq!(imported, keys.len() as i64);
    assert_eq!(imported + duplicates, 20 * 40);

    let mut all = Vec::new();
    let mut filter = RecordFilter {
        limit: 500,
        ..Default::default()
    };
    loop {
        let page = store.list_records(&filter).await.unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => filter.after = Some(c),
            None => break,
        }
    }
    assert_eq!(all.len(), keys.len());
    assert!(all.iter().all(|r| r.version == 1));
    let changes = store.changes_since(0, 500).await.unwrap();
    assert!(changes.iter().all(|r| r.state == RecordState::Active));
    assert_eq!(changes.len(), all.len());
    let seqs: HashSet<i64> = changes.iter().map(|r| r.changed_seq).collect();
    assert_eq!(
        seqs.len(),
        all.len(),
        "every change has its own sequence number"
    );
}

async fn publicity_feed_and_changes(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let up = upload(store, &user, "penalty", "sha-1").await;
    let rows: Vec<NewRecord> = (1..=5)
        .map(|n| record(n, date(2024, 4, n), "罚款"))
        .collect();
    store
        .import_records(&actor(&user), unit.id, up.id, "penalty", &rows)
        .await
        .unwrap();
    let built_at = store.latest_change_seq().await.unwrap();

    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let page = store.publicity_page("penalty", after, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        ids.extend(page.iter().map(|r| r.id));
    }
    assert_eq!(ids.len(), 5);
    assert!(store
        .publicity_page("licensing", 0, 10)
        .await
        .unwrap()
        .is_empty());

    let revoked = store
        .revoke_record(&actor(&user), Scope::All, ids[1], "错误")
        .await
        .unwrap();
    let mut modified = rows[3].clone();
    modified.values = serde_json::json!({ "处罚内容": "新" });
    store
        .modify_record(&actor(&user), Scope::All, ids[3], &modified)
        .await
        .unwrap();

    let changes = store.changes_since(built_at, 100).await.unwrap();
    let changed: Vec<(i64, RecordState)> = changes.iter().map(|r| (r.id, r.state)).collect();
    assert_eq!(
        changed,
        [
            (revoked.id, RecordState::Revoked),
            (ids[3], RecordState::Active)
        ]
    );
    assert_eq!(
        store.latest_change_seq().await.unwrap(),
        changes[1].changed_seq
    );
    assert!(store
        .changes_since(changes[1].changed_seq, 100)
        .await
        .unwrap()
        .is_empty());
    // A range split in two halves gives each change once.
    let first = store
        .changes_between(built_at, changes[0].changed_seq, 100)
        .await
        .unwrap();
    let second = store
        .changes_between(changes[0].changed_seq, changes[1].changed_seq, 100)
        .await
        .unwrap();
    assert_eq!(first.iter().map(|r| r.id).collect::<Vec<_>>(), [revoked.id]);
    assert_eq!(second.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[3]]);
}

async fn stats_count_records_rows_and_timeliness(env: Env) {
    let store = &env.store;
    let unit = unit(store, UNIT_A_CODE, "市场监管局").await;
    let user = user(store, &unit, "reporter", Role::Reporter).await;
    let up = upload(store, &user, "penalty", "sha-1").await;
    let today = chrono::Utc::now().date_naive();
    let rows = vec![
        record(1, today, "今天"),
        record(2, today - TimeDelta::days(60), "两个月前"),
    ];
    store
        .import_records(&actor(&user), unit.id, up.id, "penalty", &rows)
        .await
        .unwrap();
    let ids: Vec<i64> = store
        .list_records(&RecordFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .iter()
        .map(|r| r.id)
        .collect();
    store
        .revoke_record(&actor(&user), Scope::All, ids[0], "x")
        .await
        .unwrap();

    let stats = store.unit_stats(Scope::Unit(unit.id)).await.unwrap();
    assert_eq!(stats.len(), 1);
    let s = &stats[0];
    assert_eq!((s.unit_id, s.dataset.as_str()), (unit.id, "penalty"));
    assert_eq!(
        (s.active_records, s.revoked_records, s.deleted_records),
        (1, 1, 0)
    );
    assert_eq!((s.uploads, s.rows, s.invalid_rows), (1, 10, 2));
    assert!((s.invalid_share - 0.2).abs() < 1e-9);
    assert_eq!((s.timeliness_base, s.timely), (2, 1));
    assert_eq!(s.timeliness, Some(0.5));
}

/// SQLite commits go to the write-ahead log; `checkpoint` (which `xycz serve` runs in the
/// background) moves them into the database file itself.
#[tokio::test]
async fn sqlite_checkpoint_moves_commits_into_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xycz.db");
    let store = xycz_store::Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    unit(&store, UNIT_A_CODE, "市场监管局").await;

    // The database file alone, as a copy without its log.
    let units_in_file = |name: &str| {
        let copy = dir.path().join(name);
        std::fs::copy(&path, &copy).unwrap();
        let url = format!("sqlite://{}", copy.display());
        async move {
            use sqlx::Connection;
            let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM units")
                .fetch_one(&mut db)
                .await
                .unwrap_or(0)
        }
    };
    assert_eq!(units_in_file("before.db").await, 0);
    store.checkpoint().await.unwrap();
    assert_eq!(units_in_file("after.db").await, 1);
    store.close().await;
}
