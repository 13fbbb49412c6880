//! End to end through HTTP on a temp data folder: the same cases on SQLite with local objects
//! and on PostgreSQL with S3 objects.

#[macro_use]
mod common;

use std::collections::HashSet;

use common::{
    expected_answer, fixture_unit, fixtures, start, unit_with_user, uscc, Backend, Client, Platform,
};
use serde_json::{json, Value};
use sha2::Digest;
use xycz_functions::Config;
use xycz_store::Role;

const OTHER_UNIT_CODE: &str = "91110000101623741K";

/// A platform with the fixtures' unit (user `clerk`), another unit (`other`) and an
/// administrator (`admin`, in the other unit).
async fn platform(backend: Backend) -> Option<Platform> {
    let platform = start(backend, Config::local()).await?;
    let (name, code) = fixture_unit();
    let store = platform.store();
    unit_with_user(store, &name, &code, "clerk", Role::Reporter).await;
    let other = unit_with_user(
        store,
        "长治市税务局",
        OTHER_UNIT_CODE,
        "other",
        Role::Reporter,
    )
    .await;
    store
        .create_user(
            &xycz_store::Actor::system(),
            &xycz_store::NewUser {
                username: "admin".into(),
                unit_id: other.id,
                role: Role::Admin,
                password: common::PASSWORD.into(),
            },
            &xycz_store::AuthPolicy::default(),
        )
        .await
        .expect("admin");
    Some(platform)
}

async fn logged_in(platform: &Platform, username: &str) -> Client {
    let mut client = platform.client();
    client.login(username).await;
    client
}

/// Every fixture gives its expected counts and issues; a second upload is recognised.
async fn fixtures_upload_with_expected_counts(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let clerk = logged_in(&platform, "clerk").await;

    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".expected.json"))
        .map(|n| n.trim_end_matches(".expected.json").to_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "fixtures: {names:?}");

    for name in &names {
        let bytes = std::fs::read(fixtures().join(name)).expect("fixture");
        let expected = expected_answer(name);
        let dataset = expected["dataset"].as_str().expect("dataset");

        let response = clerk.upload(dataset, name, &bytes).await;
        assert_eq!(response.status, 201, "{name}: {}", response.text());
        let report = response.json();
        for count in ["rows", "valid", "invalid"] {
            assert_eq!(report[count], expected[count], "{name}: {count}");
        }
        assert_eq!(report["repeated"], false);
        let imported = report["imported"].as_i64().unwrap()
            + report["updated"].as_i64().unwrap()
            + report["duplicates"].as_i64().unwrap();
        assert_eq!(
            json!(imported),
            expected["valid"],
            "{name}: every valid row is imported or counted"
        );

        let errors: HashSet<(u64, String)> = report["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .filter(|i| i["severity"] == "error")
            .map(|i| {
                (
                    i["row"].as_u64().unwrap(),
                    i["field"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for issue in expected["issues"].as_array().expect("expected issues") {
            if issue["severity"] != "error" {
                continue;
            }
            let key = (
                issue["row"].as_u64().unwrap(),
                issue["field"].as_str().unwrap().to_owned(),
            );
            assert!(
                errors.contains(&key),
                "{name}: missing {key:?} in {errors:?}"
            );
        }

        // The same file again: the first answer, nothing imported.
        let again = clerk.upload(dataset, name, &bytes).await;
        assert_eq!(again.status, 200, "{}", again.text());
        let again = again.json();
        assert_eq!(again["repeated"], true);
        assert_eq!(again["id"], report["id"]);
        let id = report["id"].as_i64().unwrap();

        // The original comes back byte for byte; the invalid rows come as a workbook.
        let original = clerk.get(&format!("/api/uploads/{id}/file")).await;
        assert_eq!(original.status, 200);
        assert_eq!(original.body.as_ref(), bytes.as_slice());
        let workbook = clerk.get(&format!("/api/uploads/{id}/errors.xlsx")).await;
        assert_eq!(workbook.status, 200, "{}", workbook.text());
        assert!(workbook.body.starts_with(b"PK"));
    }

    let history = clerk.get("/api/uploads?limit=2").await.json();
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    let cursor = history["next_cursor"].as_i64().expect("a next page");
    let rest = clerk
        .get(&format!("/api/uploads?before={cursor}"))
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), names.len() - 2);
    let total: i64 = platform
        .store()
        .list_uploads(&xycz_store::UploadFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .len() as i64;
    assert_eq!(total, names.len() as i64, "re-uploads made no new upload");
    platform.finish().await;
}

/// A file first sent under the wrong data type is refused (and kept); sent again under the right
/// one it is checked and imported, not answered with the first refusal.
async fn a_file_sent_as_the_wrong_dataset_can_be_sent_again(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let clerk = logged_in(&platform, "clerk").await;
    let name = "penalty_sample.xlsx";
    let bytes = std::fs::read(fixtures().join(name)).expect("fixture");
    let expected = expected_answer(name);

    let wrong = clerk.upload("licensing", name, &bytes).await;
    assert_eq!(wrong.status, 422, "{}", wrong.text());
    let message = wrong.json()["message"].as_str().unwrap_or("").to_owned();
    assert!(message.contains("缺少"), "{message}");

    let right = clerk.upload("penalty", name, &bytes).await;
    assert_eq!(right.status, 201, "{}", right.text());
    let report = right.json();
    assert_eq!(report["repeated"], false);
    assert_eq!(report["valid"], expected["valid"]);
    assert_eq!(report["imported"], expected["valid"]);

    // Both attempts stay in the unit's history; the same file under the right type again is
    // now the re-upload.
    let history = clerk.get("/api/uploads").await.json();
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    let again = clerk.upload("penalty", name, &bytes).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["id"], report["id"]);
    platform.finish().await;
}

/// A file above the request limit: refused by `POST /api/uploads` with the limit in the message;
/// on S3 it goes through a presigned PUT and `POST /api/uploads/complete`, which checks that the
/// stored bytes are the file named; on local objects the presign step says it is not available.
async fn large_files_go_straight_to_the_object_store(backend: Backend) {
    let mut config = Config::local();
    config.max_upload_bytes = 4 * 1024;
    let Some(platform) = start(backend, config).await else {
        return;
    };
    let (name, code) = fixture_unit();
    unit_with_user(platform.store(), &name, &code, "clerk", Role::Reporter).await;
    let clerk = logged_in(&platform, "clerk").await;

    let file = "penalty_sample.xlsx";
    let bytes = std::fs::read(fixtures().join(file)).expect("fixture");
    assert!(
        bytes.len() > 4 * 1024,
        "the fixture is above the test limit"
    );
    let expected = expected_answer(file);
    let too_large = clerk.upload("penalty", file, &bytes).await;
    assert_eq!(too_large.status, 413, "{}", too_large.text());
    assert!(too_large.json()["message"].as_str().unwrap().contains("MB"));

    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let direct = json!({
        "dataset": "penalty",
        "file_name": file,
        "sha256": sha256,
        "size": bytes.len(),
    });
    let presigned = clerk
        .post_json("/api/uploads/presign", direct.clone())
        .await;
    if backend == Backend::Sqlite {
        assert_eq!(presigned.status, 400, "{}", presigned.text());
        let message = presigned.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("不支持大文件直传"), "{message}");
        platform.finish().await;
        return;
    }
    assert_eq!(presigned.status, 200, "{}", presigned.text());
    let presigned = presigned.json();
    assert_eq!(presigned["method"], "PUT");

    // Confirming before the file is there is refused, and so is a bad hash.
    let early = clerk
        .post_json("/api/uploads/complete", direct.clone())
        .await;
    assert_eq!(early.status, 400, "{}", early.text());
    assert!(early.json()["message"]
        .as_str()
        .unwrap()
        .contains("没有找到"));
    let mut bad = direct.clone();
    bad["sha256"] = json!("XYZ");
    assert_eq!(
        clerk.post_json("/api/uploads/presign", bad).await.status,
        400
    );

    let put = put_presigned(&presigned, &bytes).await;
    assert_eq!(put, 200, "the object store took the presigned PUT");
    let done = clerk
        .post_json("/api/uploads/complete", direct.clone())
        .await;
    assert_eq!(done.status, 201, "{}", done.text());
    let report = done.json();
    for count in ["rows", "valid", "invalid"] {
        assert_eq!(report[count], expected[count], "{count}");
    }
    assert_eq!(report["imported"], expected["valid"]);
    let id = report["id"].as_i64().unwrap();
    let original = clerk.get(&format!("/api/uploads/{id}/file")).await;
    assert_eq!(original.body.as_ref(), bytes.as_slice());
    let again = clerk.post_json("/api/uploads/complete", direct).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["repeated"], true);

    // Bytes that are not the file named under that hash are refused.
    let mut other = bytes.clone();
    other.extend_from_slice(b"tampered");
    let claimed = hex::encode(sha2::Sha256::digest(b"another file"));
    let wrong = json!({ "dataset": "penalty", "file_name": "x.xlsx", "sha256": claimed });
    let presigned = clerk
        .post_json("/api/uploads/presign", wrong.clone())
        .await
        .json();
    assert_eq!(put_presigned(&presigned, &other).await, 200);
    let refused = clerk.post_json("/api/uploads/complete", wrong).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(refused.json()["message"].as_str().unwrap().contains("不符"));
    platform.finish().await;
}

/// Sends `bytes` as the presigned request describes it; returns the status.
async fn put_presigned(presigned: &Value, bytes: &[u8]) -> u16 {
    use http_body_util::Full;
    use hyper_util::client::legacy::Client as HttpClient;
    use hyper_util::rt::TokioExecutor;

    let mut request = hyper::Request::builder()
        .method(presigned["method"].as_str().unwrap())
        .uri(presigned["url"].as_str().unwrap());
    for (name, value) in presigned["headers"].as_object().unwrap() {
        request = request.header(name, value.as_str().unwrap());
    }
    let request = request
        .body(Full::new(bytes::Bytes::copy_from_slice(bytes)))
        .unwrap();
    let http = HttpClient::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    http.request(request).await.unwrap().status().as_u16()
}

/// 修改 and 撤销 through the API; the public pages follow.
async fn modify_and_revoke_reach_the_public_site(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let clerk = logged_in(&platform, "clerk").await;
    let bytes = std::fs::read(fixtures().join("penalty_sample.xlsx")).unwrap();
    let upload = clerk.upload("penalty", "penalty_sample.xlsx", &bytes).await;
    assert_eq!(upload.status, 201, "{}", upload.text());
    platform.refresh_site().await;

    // Two records with a public detail page.
    let list = clerk
        .get("/api/records?dataset=penalty&limit=100")
        .await
        .json();
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let public: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| {
            platform
                .site_dir()
                .join(format!("publicity/penalty/{id}.html"))
                .exists()
        })
        .collect();
    assert!(
        public.len() >= 2,
        "public detail pages: {public:?} of {ids:?}"
    );
    let (modified, revoked) = (public[0], public[1]);
    let page = platform
        .client()
        .get(&format!("/publicity/penalty/{revoked}.html"))
        .await;
    assert_eq!(page.status, 200, "served at /");

    // 修改: a new version, the page shows the new content.
    let detail = clerk.get(&format!("/api/records/{modified}")).await.json();
    let mut values = detail["record"]["values"].clone();
    values["处罚内容"] = json!("罚款人民币贰仟元整（经复核更正）");
    let response = clerk
        .put_json(
            &format!("/api/records/{modified}"),
            json!({ "values": values }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["version"], 2);

    // A modification that breaks a rule is refused with the checker's message.
    let mut broken = detail["record"]["values"].clone();
    broken["处罚决定日期"] = json!("2199-01-01");
    let response = clerk
        .put_json(
            &format!("/api/records/{modified}"),
            json!({ "values": broken }),
        )
        .await;
    assert_eq!(response.status, 422, "{}", response.text());
    assert_eq!(response.json()["code"], "invalid_record");

    // 撤销 needs a reason.
    let response = clerk
        .post_json(
            &format!("/api/records/{revoked}/revoke"),
            json!({ "reason": " " }),
        )
        .await;
    assert_eq!(response.status, 400);
    let response = clerk
        .post_json(
            &format!("/api/records/{revoked}/revoke"),
            json!({ "reason": "处罚决定已被复议撤销" }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["state"], "revoked");

    platform.refresh_site().await;
    let page = platform
        .client()
        .get(&format!("/publicity/penalty/{modified}.html"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("经复核更正"),
        "the modified page shows the new version"
    );
    assert!(!platform
        .site_dir()
        .join(format!("publicity/penalty/{revoked}.html"))
        .exists());
    let page = platform
        .client()
        .get(&format!("/publicity/penalty/{revoked}.html"))
        .await;
    assert_eq!(page.status, 404, "the revoked record left the public site");

    // The revoked record stays in the database with both its history and its reason.
    let detail = clerk.get(&format!("/api/records/{revoked}")).await.json();
    assert_eq!(detail["record"]["revoked_reason"], "处罚决定已被复议撤销");
    let detail = clerk.get(&format!("/api/records/{modified}")).await.json();
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
    // Every version names who made it: the uploader, then the clerk who modified it.
    for version in detail["versions"].as_array().unwrap() {
        assert_eq!(version["username"], "clerk", "{version}");
    }

    // 新增 through the same checker: a copy of a valid row with another document number.
    let mut values = detail["record"]["values"].clone();
    values["行政处罚决定书文号"] = json!("长市监罚〔2026〕新增1号");
    let response = clerk
        .post_json(
            "/api/records",
            json!({ "dataset": "penalty", "values": values }),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let response = clerk
        .post_json(
            "/api/records",
            json!({ "dataset": "penalty", "values": values }),
        )
        .await;
    assert_eq!(response.status, 409, "the same natural key twice");
    let response = clerk
        .post_json(
            "/api/records",
            json!({ "dataset": "penalty", "values": { "行政相对人名称": "某某" } }),
        )
        .await;
    assert_eq!(response.status, 422);
    assert!(!response.json()["issues"].as_array().unwrap().is_empty());

    // 删除数据 then 删除: the upload's records leave the site, the entry is marked deleted.
    let upload_id = upload.json()["id"].as_i64().unwrap();
    let response = clerk
        .delete(&format!("/api/uploads/{upload_id}/records"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.json()["withdrawn"].as_i64().unwrap() > 0);
    let response = clerk.delete(&format!("/api/uploads/{upload_id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let entry = clerk.get(&format!("/api/uploads/{upload_id}")).await.json();
    assert_eq!(entry["status"], "deleted");
    platform.refresh_site().await;
    // The record modified by hand is no longer that upload's data and stays.
    let still_public: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| {
            platform
                .site_dir()
                .join(format!("publicity/penalty/{id}.html"))
                .exists()
        })
        .collect();
    assert_eq!(
        still_public,
        vec![modified],
        "withdrawn records left the public site"
    );
    platform.finish().await;
}

/// Another unit's ids answer 404; no CSRF token answers 403; reporters cannot administer.
async fn access_is_limited(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let clerk = logged_in(&platform, "clerk").await;
    let bytes = std::fs::read(fixtures().join("penalty_sample.xlsx")).unwrap();
    let upload = clerk
        .upload("penalty", "penalty_sample.xlsx", &bytes)
        .await
        .json();
    let upload_id = upload["id"].as_i64().unwrap();
    let record_id = clerk.get("/api/records?limit=1").await.json()["items"][0]["id"]
        .as_i64()
        .unwrap();

    let other = logged_in(&platform, "other").await;
    for path in [
        format!("/api/uploads/{upload_id}"),
        format!("/api/uploads/{upload_id}/file"),
        format!("/api/uploads/{upload_id}/errors.xlsx"),
        format!("/api/records/{record_id}"),
    ] {
        let response = other.get(&path).await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.json()["message"], "未找到该记录");
    }
    assert_eq!(
        other
            .delete(&format!("/api/uploads/{upload_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .delete(&format!("/api/uploads/{upload_id}/records"))
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .put_json(
                &format!("/api/records/{record_id}"),
                json!({ "values": {} })
            )
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .post_json(
                &format!("/api/records/{record_id}/revoke"),
                json!({ "reason": "x" })
            )
            .await
            .status,
        404
    );
    assert_eq!(other.get("/api/uploads").await.json()["items"], json!([]));
    assert_eq!(other.get("/api/records").await.json()["items"], json!([]));

    // The fixture's rows name the clerk's unit: uploaded by another unit, every row fails.
    let response = other
        .upload("penalty", "penalty_sample.xlsx", &bytes)
        .await
        .json();
    assert_eq!(response["valid"], 0, "rows of another unit are errors");
    assert_eq!(response["imported"], 0);

    // Without the CSRF token: 403, nothing changed.
    let mut no_csrf = clerk.clone();
    no_csrf.csrf = None;
    let response = no_csrf
        .post_json(
            &format!("/api/records/{record_id}/revoke"),
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(response.status, 403);
    assert_eq!(response.json()["code"], "csrf_token_invalid");
    let mut wrong_csrf = clerk.clone();
    wrong_csrf.csrf = Some("0".repeat(64));
    assert_eq!(
        wrong_csrf
            .delete(&format!("/api/uploads/{upload_id}"))
            .await
            .status,
        403
    );
    assert_eq!(
        no_csrf
            .post_json("/api/auth/logout", json!({}))
            .await
            .status,
        403
    );
    assert_eq!(
        no_csrf.get("/api/me").await.status,
        200,
        "reading needs no token"
    );

    // Without a session: 401.
    let anonymous = platform.client();
    assert_eq!(anonymous.get("/api/uploads").await.status, 401);
    let response = anonymous.upload("penalty", "x.xlsx", &bytes).await;
    assert_eq!(response.status, 401);

    // Reporters cannot use the admin routes; the administrator sees every unit.
    assert_eq!(clerk.get("/api/admin/units").await.status, 403);
    let admin = logged_in(&platform, "admin").await;
    assert_eq!(
        admin.get("/api/admin/units").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        admin.get(&format!("/api/uploads/{upload_id}")).await.status,
        200
    );
    let all = admin.get("/api/admin/uploads").await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let stats = admin.get("/api/admin/stats").await.json();
    assert!(!stats["items"].as_array().unwrap().is_empty());
    let created = admin
        .post_json(
            "/api/admin/units",
            json!({ "name": "长治市生态环境局", "code": uscc("11140400MB1987612"), "datasets": ["penalty"] }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let bad = admin
        .post_json("/api/admin/units", json!({ "name": "x", "code": "123" }))
        .await;
    assert_eq!(bad.status, 400);

    // Logout ends the session.
    let mut leaving = logged_in(&platform, "clerk").await;
    assert_eq!(
        leaving
            .post_json("/api/auth/logout", json!({}))
            .await
            .status,
        200
    );
    assert_eq!(leaving.get("/api/me").await.status, 401);
    leaving.csrf = None;

    // Wrong password: 401 with a Chinese message.
    let response = platform
        .client()
        .post_json(
            "/api/auth/login",
            json!({ "username": "clerk", "password": "wrong password!" }),
        )
        .await;
    assert_eq!(response.status, 401);
    assert_eq!(response.json()["message"], "用户名或密码错误");

    // Too large: 413 with the limit in Chinese.
    let huge = vec![b'x'; 5 * 1024 * 1024];
    let response = clerk.upload("penalty", "huge.csv", &huge).await;
    assert_eq!(response.status, 413);
    assert!(response.json()["message"]
        .as_str()
        .unwrap()
        .contains("4 MB"));
    // Not a form at all: a Chinese answer, not the framework's.
    let response = clerk
        .post_json("/api/uploads", json!({ "file": "x" }))
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json()["message"],
        "上传的内容不是表单：请以 multipart/form-data 提交 dataset 和 file 两个字段"
    );
    platform.finish().await;
}

/// 20 units upload at once, each its file twice: every row is imported exactly once.
async fn twenty_units_upload_at_once(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let rows = valid_penalty_rows();
    let mut tasks = Vec::new();
    for n in 0..20 {
        let code = uscc(&format!("111404000000{n:04}X"));
        let name = format!("测试单位{n}");
        unit_with_user(
            platform.store(),
            &name,
            &code,
            &format!("unit{n}"),
            Role::Reporter,
        )
        .await;
        let csv = unit_csv(&rows, &name, &code);
        let client = logged_in(&platform, &format!("unit{n}")).await;
        for _ in 0..2 {
            let client = client.clone();
            let csv = csv.clone();
            tasks.push(tokio::spawn(async move {
                client.upload("penalty", "penalty.csv", &csv).await
            }));
        }
    }

    let mut imported = 0;
    let mut repeated = 0;
    for task in tasks {
        let response = task.await.expect("upload task");
        assert!(
            response.status == 201 || response.status == 200,
            "{}",
            response.text()
        );
        let body = response.json();
        if body["repeated"] == true {
            repeated += 1;
        } else {
            assert_eq!(body["invalid"], 0, "{body}");
            imported += body["imported"].as_i64().unwrap();
        }
    }
    assert_eq!(repeated, 20, "each unit's second copy is recognised");
    assert_eq!(imported, 20 * rows.len() as i64);

    let mut stored = 0;
    let mut after = None;
    loop {
        let page = platform
            .store()
            .list_records(&xycz_store::RecordFilter {
                limit: 500,
                after,
                ..Default::default()
            })
            .await
            .unwrap();
        stored += page.items.len();
        match page.next_cursor {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(stored, 20 * rows.len(), "every row stored once");
    platform.finish().await;
}

/// The valid rows of the penalty fixture, as label → value.
fn valid_penalty_rows() -> Vec<std::collections::BTreeMap<String, String>> {
    let catalog = xycz_domain::Catalog::builtin();
    let dataset = catalog.get("penalty").unwrap();
    let (_, code) = fixture_unit();
    let options = xycz_domain::CheckOptions {
        uploader_code: Some(code),
        keep_records: true,
        ..Default::default()
    };
    let bytes = std::fs::read(fixtures().join("penalty_sample.xlsx")).unwrap();
    let report =
        xycz_domain::check_bytes(dataset, "penalty_sample.xlsx", &bytes, &options).unwrap();
    report
        .records
        .as_ref()
        .unwrap()
        .iter()
        .filter(|r| r.valid)
        .map(|r| report.values_map(r))
        .collect()
}

/// The rows as a CSV file of unit `name`/`code`.
fn unit_csv(
    rows: &[std::collections::BTreeMap<String, String>],
    name: &str,
    code: &str,
) -> Vec<u8> {
    let catalog = xycz_domain::Catalog::builtin();
    let dataset = catalog.get("penalty").unwrap();
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let mut csv = dataset
        .fields
        .iter()
        .map(|f| quote(&f.label))
        .collect::<Vec<_>>()
        .join(",");
    csv.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = dataset
            .fields
            .iter()
            .map(|f| match f.label.as_str() {
                "数据来源单位" => quote(name),
                "数据来源单位统一社会信用代码" => quote(code),
                label => quote(row.get(label).map_or("", String::as_str)),
            })
            .collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    csv.into_bytes()
}

both_backends!(
    fixtures_upload_with_expected_counts,
    a_file_sent_as_the_wrong_dataset_can_be_sent_again,
    large_files_go_straight_to_the_object_store,
    modify_and_revoke_reach_the_public_site,
    access_is_limited,
    twenty_units_upload_at_once,
);
