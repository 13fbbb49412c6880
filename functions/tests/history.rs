//! 我的上报 over HTTP: who uploaded (经办人), the filter by check result and by several
//! datasets, for a unit and for the credit office. SQLite, and PostgreSQL with S3 when
//! `XYCZ_TEST_PG_URL` is set.

#[macro_use]
mod common;

use common::{fixture_unit, fixtures, start, unit_with_user, Backend, Client, Platform, PASSWORD};
use serde_json::Value;
use xycz_functions::Config;
use xycz_store::{Actor, AuthPolicy, NewUser, Role};

/// The fixtures' unit with two reporters, `clerk` and `colleague`, and an administrator.
async fn platform(backend: Backend) -> Option<Platform> {
    let platform = start(backend, Config::local()).await?;
    let (name, code) = fixture_unit();
    let store = platform.store();
    let unit = unit_with_user(store, &name, &code, "clerk", Role::Reporter).await;
    store
        .create_user(
            &Actor::system(),
            &NewUser {
                username: "colleague".into(),
                unit_id: unit.id,
                role: Role::Reporter,
                password: PASSWORD.into(),
            },
            &AuthPolicy::default(),
        )
        .await
        .expect("colleague");
    unit_with_user(
        store,
        "长治市信用办",
        "11140400MB19574298",
        "admin",
        Role::Admin,
    )
    .await;
    Some(platform)
}

async fn logged_in(platform: &Platform, username: &str) -> Client {
    let mut client = platform.client();
    client.login(username).await;
    client
}

/// The GB18030 fixture without its one invalid row (row 8): every row passes.
fn all_valid_csv() -> Vec<u8> {
    let bytes = std::fs::read(fixtures().join("licensing_sample_gbk.csv")).unwrap();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    assert!(lines.len() >= 8, "the fixture has row 8");
    lines
        .iter()
        .enumerate()
        .filter(|(n, _)| *n != 7)
        .flat_map(|(_, line)| line.iter().copied())
        .collect()
}

/// (id, username) of a list answer, newest first.
fn listed(body: &Value) -> Vec<(i64, Option<String>)> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| {
            (
                u["id"].as_i64().expect("id"),
                u["username"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn ids(body: &Value) -> Vec<i64> {
    listed(body).into_iter().map(|(id, _)| id).collect()
}

/// Three uploads by two users of one unit: all valid, partly invalid, unreadable.
async fn uploads_show_the_uploader_and_filter_by_result(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let clerk = logged_in(&platform, "clerk").await;
    let colleague = logged_in(&platform, "colleague").await;

    let passed = clerk
        .upload("licensing", "许可.csv", &all_valid_csv())
        .await;
    assert_eq!(passed.status, 201, "{}", passed.text());
    let passed = passed.json();
    assert_eq!(passed["invalid"], 0, "{passed}");
    let penalty = std::fs::read(fixtures().join("penalty_sample.xlsx")).unwrap();
    let partial = colleague
        .upload("penalty", "penalty_sample.xlsx", &penalty)
        .await
        .json();
    assert_eq!(partial["invalid"], 4, "{partial}");
    let failed = clerk
        .upload("licensing", "不是表格.csv", "随便写的几行字\n".as_bytes())
        .await;
    assert_eq!(failed.status, 422, "{}", failed.text());
    let failed_id = failed.json()["id"]
        .as_i64()
        .expect("id of the failed upload");
    let (passed_id, partial_id) = (
        passed["id"].as_i64().unwrap(),
        partial["id"].as_i64().unwrap(),
    );

    // Each user sees who uploaded what, their own and their colleague's.
    for viewer in [&clerk, &colleague] {
        let all = viewer.get("/api/uploads").await.json();
        assert_eq!(
            listed(&all),
            vec![
                (failed_id, Some("clerk".to_owned())),
                (partial_id, Some("colleague".to_owned())),
                (passed_id, Some("clerk".to_owned())),
            ]
        );
    }
    let one = clerk
        .get(&format!("/api/uploads/{partial_id}"))
        .await
        .json();
    assert_eq!(one["username"], "colleague");

    for (result, expected) in [
        ("passed", vec![passed_id]),
        ("partial", vec![partial_id]),
        ("failed", vec![failed_id]),
    ] {
        let body = clerk
            .get(&format!("/api/uploads?result={result}"))
            .await
            .json();
        assert_eq!(ids(&body), expected, "result={result}");
    }
    let bad = clerk.get("/api/uploads?result=good").await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"].as_str().unwrap().contains("passed"));

    // Several datasets at once (the 双公示 menu), alone or with one of them.
    let group = clerk
        .get("/api/uploads?dataset=licensing,penalty")
        .await
        .json();
    assert_eq!(ids(&group), vec![failed_id, partial_id, passed_id]);
    let others = clerk
        .get("/api/uploads?dataset=red-list,tax-arrears")
        .await
        .json();
    assert_eq!(ids(&others), Vec::<i64>::new());
    let licensing = clerk
        .get("/api/uploads?dataset=licensing&result=passed")
        .await
        .json();
    assert_eq!(ids(&licensing), vec![passed_id]);

    // A deleted upload is no longer a result of its check; status=deleted finds it.
    assert_eq!(
        colleague
            .delete(&format!("/api/uploads/{partial_id}"))
            .await
            .status,
        200
    );
    let partial_now = clerk.get("/api/uploads?result=partial").await.json();
    assert_eq!(ids(&partial_now), Vec::<i64>::new());
    let deleted = clerk.get("/api/uploads?status=deleted").await.json();
    assert_eq!(
        listed(&deleted),
        vec![(partial_id, Some("colleague".into()))]
    );

    // The credit office filters the same way, across units.
    let admin = logged_in(&platform, "admin").await;
    let body = admin
        .get("/api/admin/uploads?result=failed&dataset=licensing,penalty")
        .await
        .json();
    assert_eq!(listed(&body), vec![(failed_id, Some("clerk".into()))]);

    platform.finish().await;
}

/// Pages by cursor: `next_cursor` goes back as `before`, with the filters kept.
async fn filtered_pages_follow_the_cursor(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let clerk = logged_in(&platform, "clerk").await;
    let mut uploaded = Vec::new();
    for n in 0..5 {
        // Different bytes each time, so that none is a re-upload; none can be read.
        let text = format!("第 {n} 个无法读取的文件\n");
        let response = clerk
            .upload("licensing", &format!("{n}.csv"), text.as_bytes())
            .await;
        uploaded.push(
            response.json()["id"]
                .as_i64()
                .expect("id of the failed upload"),
        );
    }
    clerk
        .upload("licensing", "许可.csv", &all_valid_csv())
        .await;

    let mut seen = Vec::new();
    let mut path = "/api/uploads?result=failed&limit=2".to_owned();
    loop {
        let body = clerk.get(&path).await.json();
        seen.extend(ids(&body));
        match body["next_cursor"].as_i64() {
            Some(cursor) => path = format!("/api/uploads?result=failed&limit=2&before={cursor}"),
            None => break,
        }
    }
    uploaded.reverse();
    assert_eq!(seen, uploaded);

    platform.finish().await;
}

both_backends!(
    uploads_show_the_uploader_and_filter_by_result,
    filtered_pages_follow_the_cursor,
);
