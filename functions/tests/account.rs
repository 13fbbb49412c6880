//! Accounts over HTTP: a user changes their own password, the credit office unlocks an account
//! and keeps the list of accepted 统一社会信用代码 exceptions. SQLite, and PostgreSQL with S3
//! when `XYCZ_TEST_PG_URL` is set.

#[macro_use]
mod common;

use common::{fixture_unit, fixtures, start, unit_with_user, Backend, Client, Platform, PASSWORD};
use serde_json::{json, Value};
use xycz_functions::Config;
use xycz_store::{Actor, AuthPolicy, NewUser, Role, Scope};

const NEW_PASSWORD: &str = "a brand new password";

/// The fixtures' unit with reporter `clerk`, and administrator `admin` in the credit office.
async fn platform(backend: Backend) -> Option<Platform> {
    let platform = start(backend, Config::local()).await?;
    let (name, code) = fixture_unit();
    let store = platform.store();
    unit_with_user(store, &name, &code, "clerk", Role::Reporter).await;
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

/// A login with any password; the client keeps the session when it succeeds.
async fn try_login(platform: &Platform, username: &str, password: &str) -> (Client, u16, Value) {
    let mut client = platform.client();
    let response = client
        .post_json(
            "/api/auth/login",
            json!({ "username": username, "password": password }),
        )
        .await;
    let body = response.json();
    if response.status == 200 {
        let cookie = response.headers["set-cookie"].to_str().expect("cookie");
        client.cookie = cookie.split(';').next().map(str::to_owned);
        client.csrf = body["csrf"].as_str().map(str::to_owned);
    }
    (client, response.status, body)
}

async fn audit_actions(platform: &Platform) -> Vec<(String, Value)> {
    platform
        .store()
        .list_audit(Scope::All, None, 200)
        .await
        .expect("audit")
        .items
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

/// 修改密码: the old password is required, the policy holds, the CSRF token is checked; this
/// session stays, the user's other sessions end, and only the new password logs in.
async fn a_user_changes_their_own_password(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let mut here = platform.client();
    here.login("clerk").await;
    let mut elsewhere = platform.client();
    elsewhere.login("clerk").await;

    let change = |old: &str, new: &str| json!({ "old_password": old, "new_password": new });

    let wrong_old = here
        .post_json(
            "/api/auth/password",
            change("not the password", NEW_PASSWORD),
        )
        .await;
    assert_eq!(wrong_old.status, 400, "{}", wrong_old.text());
    assert_eq!(wrong_old.json()["message"], "原密码不正确");
    let too_short = here
        .post_json("/api/auth/password", change(PASSWORD, "short"))
        .await;
    assert_eq!(too_short.status, 400);
    assert_eq!(too_short.json()["message"], "密码至少需要 10 个字符");
    let same = here
        .post_json("/api/auth/password", change(PASSWORD, PASSWORD))
        .await;
    assert_eq!(same.status, 400);
    assert_eq!(same.json()["message"], "新密码不能与原密码相同");

    let mut no_csrf = here.clone();
    no_csrf.csrf = None;
    let refused = no_csrf
        .post_json("/api/auth/password", change(PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["code"], "csrf_token_invalid");
    let anonymous = platform
        .client()
        .post_json("/api/auth/password", change(PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(anonymous.status, 401);

    // None of the refusals ended a session.
    assert_eq!(elsewhere.get("/api/me").await.status, 200);

    let changed = here
        .post_json("/api/auth/password", change(PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json(), json!({ "ok": true }));

    assert_eq!(
        here.get("/api/me").await.json()["user"]["username"],
        "clerk",
        "the session that changed the password stays"
    );
    assert_eq!(
        elsewhere.get("/api/me").await.status,
        401,
        "other sessions end"
    );
    let (_, status, body) = try_login(&platform, "clerk", PASSWORD).await;
    assert_eq!(status, 401, "the old password no longer works: {body}");
    let (_, status, _) = try_login(&platform, "clerk", NEW_PASSWORD).await;
    assert_eq!(status, 200, "the new password works");

    let actions = audit_actions(&platform).await;
    let changes: Vec<&Value> = actions
        .iter()
        .filter(|(a, _)| a == "user.password")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(changes.len(), 1, "{actions:?}");
    assert_eq!(changes[0]["own"], true);
    assert_eq!(changes[0]["sessions_ended"], 1);
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| a == "user.password_refused")
            .count(),
        1,
        "the wrong old password is audited"
    );

    platform.finish().await;
}

/// Guessing the old password on the 修改密码 form counts like failed logins: the last guess
/// locks the account and ends every session, so a stolen session cannot try without end.
async fn guessing_the_old_password_locks_the_account(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let mut here = platform.client();
    here.login("clerk").await;
    let mut elsewhere = platform.client();
    elsewhere.login("clerk").await;
    let guess = json!({ "old_password": "a wrong guess", "new_password": NEW_PASSWORD });

    let allowed = Config::local().auth.max_failed_logins;
    for _ in 1..allowed {
        let refused = here.post_json("/api/auth/password", guess.clone()).await;
        assert_eq!(refused.status, 400, "{}", refused.text());
        assert_eq!(refused.json()["message"], "原密码不正确");
    }
    let locked = here.post_json("/api/auth/password", guess).await;
    assert_eq!(locked.status, 423, "{}", locked.text());
    assert_eq!(locked.json()["code"], "account_locked");
    let message = locked.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("原密码错误次数过多，账号已锁定，请于 ")
            && message.ends_with(" 后重新登录"),
        "{message}"
    );

    assert_eq!(here.get("/api/me").await.status, 401, "this session ends");
    assert_eq!(
        elsewhere.get("/api/me").await.status,
        401,
        "every session ends"
    );
    let (_, status, body) = try_login(&platform, "clerk", PASSWORD).await;
    assert_eq!(status, 423, "the right password waits for the lock: {body}");

    let actions = audit_actions(&platform).await;
    let refusals = actions
        .iter()
        .filter(|(a, d)| a == "user.password_refused" && d["reason"] == "wrong old password")
        .count();
    assert_eq!(refusals as i64, allowed, "{actions:?}");
    let lock = actions
        .iter()
        .find(|(a, _)| a == "user.locked")
        .map(|(_, d)| d.clone())
        .expect("the lock is audited");
    assert_eq!(lock["sessions_ended"], 2);

    platform.finish().await;
}

/// 解锁: an administrator lifts the lock that failed logins set; a reporter may not.
async fn the_credit_office_unlocks_an_account(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    let policy = AuthPolicy::default();
    for _ in 0..policy.max_failed_logins {
        try_login(&platform, "clerk", "not the password").await;
    }
    let (_, status, body) = try_login(&platform, "clerk", PASSWORD).await;
    assert_eq!(status, 423, "locked: {body}");
    assert_eq!(body["code"], "account_locked");

    let clerk_id = platform
        .store()
        .find_user_by_username("clerk")
        .await
        .unwrap()
        .expect("clerk")
        .id;
    let mut other_reporter = platform.client();
    let (unit, _) = fixture_unit();
    let unit_id = platform
        .store()
        .list_units()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.name == unit)
        .expect("unit")
        .id;
    platform
        .store()
        .create_user(
            &Actor::system(),
            &NewUser {
                username: "colleague".into(),
                unit_id,
                role: Role::Reporter,
                password: PASSWORD.into(),
            },
            &policy,
        )
        .await
        .unwrap();
    other_reporter.login("colleague").await;
    let path = format!("/api/admin/users/{clerk_id}/unlock");
    assert_eq!(other_reporter.post_json(&path, json!({})).await.status, 403);

    let mut admin = platform.client();
    admin.login("admin").await;
    let unlocked = admin.post_json(&path, json!({})).await;
    assert_eq!(unlocked.status, 200, "{}", unlocked.text());
    assert_eq!(unlocked.json()["locked_until"], Value::Null);
    assert_eq!(
        admin
            .post_json("/api/admin/users/999999/unlock", json!({}))
            .await
            .status,
        404
    );

    let (_, status, _) = try_login(&platform, "clerk", PASSWORD).await;
    assert_eq!(status, 200, "unlocked before the lock ran out");
    assert!(audit_actions(&platform)
        .await
        .iter()
        .any(|(a, _)| a == "user.unlock"));

    platform.finish().await;
}

/// An early pilot code that fails its check digit, once the credit office accepts it, passes
/// the check of the next upload.
async fn accepted_uscc_exceptions_pass_the_check(backend: Backend) {
    let Some(platform) = platform(backend).await else {
        return;
    };
    // Row 18 of the fixture carries this code with a wrong check character.
    let odd = "91140400GYKLMP1E5X";
    let bytes = std::fs::read(fixtures().join("penalty_sample.xlsx")).unwrap();
    let mut clerk = platform.client();
    clerk.login("clerk").await;
    let first = clerk
        .upload("penalty", "penalty_sample.xlsx", &bytes)
        .await
        .json();
    assert_eq!(first["valid"], 16, "{first}");

    let mut admin = platform.client();
    admin.login("admin").await;
    let exceptions = "/api/admin/uscc-exceptions";
    assert_eq!(clerk.get(exceptions).await.status, 403);
    let refused = [
        (json!({ "code": odd, "note": " " }), "请填写说明"),
        (
            json!({ "code": "91110000101623741K", "note": "x" }),
            "能通过校验",
        ),
        (
            json!({ "code": "9114040012", "note": "x" }),
            "不是 18 位统一社会信用代码",
        ),
    ];
    for (body, message) in refused {
        let response = admin.post_json(exceptions, body.clone()).await;
        assert_eq!(response.status, 400, "{body}");
        let text = response.json()["message"].as_str().unwrap().to_owned();
        assert!(text.contains(message), "{text}");
    }
    // Written as a user might paste it: lower case, a space, full-width characters.
    let added = admin
        .post_json(
            exceptions,
            json!({ "code": "９1140400gykLMP1E5X ", "note": "早期试点代码，已核实" }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text());
    assert_eq!(added.json()["code"], odd);
    assert_eq!(
        admin
            .post_json(exceptions, json!({ "code": odd, "note": "again" }))
            .await
            .status,
        409
    );
    let listed = admin.get(exceptions).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["note"], "早期试点代码，已核实");

    // The same file again is the first upload's answer; deleted first, it is checked anew.
    let id = first["id"].as_i64().unwrap();
    assert_eq!(
        clerk.delete(&format!("/api/uploads/{id}")).await.status,
        200
    );
    let second = clerk
        .upload("penalty", "penalty_sample.xlsx", &bytes)
        .await
        .json();
    assert_eq!(second["valid"], 17, "{second}");
    let rows_with_errors: Vec<i64> = second["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter(|i| i["severity"] == "error")
        .filter_map(|i| i["row"].as_i64())
        .collect();
    assert_eq!(rows_with_errors.len(), 3, "{rows_with_errors:?}");
    assert!(!rows_with_errors.contains(&18), "{rows_with_errors:?}");

    platform.finish().await;
}

both_backends!(
    a_user_changes_their_own_password,
    guessing_the_old_password_locks_the_account,
    the_credit_office_unlocks_an_account,
    accepted_uscc_exceptions_pass_the_check,
);
