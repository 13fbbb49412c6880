//! `xycz unit add` and `xycz user add|passwd|disable` as an administrator runs them: what they
//! print, what they refuse in Chinese with exit 1, and that a refusal records nothing.

mod common;

use common::{Data, UNIT_CODE, UNIT_NAME};

/// A data folder that holds the README's unit.
fn data_with_unit() -> Data {
    let data = Data::new();
    let run = data.run(
        &["unit", "add", "--name", UNIT_NAME, "--code", UNIT_CODE],
        "",
    );
    assert_eq!(run.code, 0, "{run}");
    data
}

#[test]
fn a_unit_is_added_once() {
    let data = Data::new();
    let run = data.run(
        &["unit", "add", "--name", UNIT_NAME, "--code", UNIT_CODE],
        "",
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        run.stdout.trim(),
        format!("已添加单位 {UNIT_NAME}（{UNIT_CODE}），编号 1")
    );

    // The same code typed in lower case with spaces is the same unit.
    let run = data.run(
        &[
            "unit",
            "add",
            "--name",
            "另一个名称",
            "--code",
            " 11140400pf0b26q50g ",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：已存在相同的统一社会信用代码");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn a_code_with_a_wrong_check_digit_is_refused() {
    let data = Data::new();
    // The README's code with its last character, the check digit, changed.
    let run = data.run(
        &[
            "unit",
            "add",
            "--name",
            UNIT_NAME,
            "--code",
            "11140400PF0B26Q50H",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.trim(),
        "错误：“11140400PF0B26Q50H”不是有效的统一社会信用代码"
    );

    let run = data.add_user("clerk", "11140400PF0B26Q50H", "a-long-password");
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("没有统一社会信用代码为"), "{run}");

    let run = data.run(&["unit", "add", "--name", " ", "--code", UNIT_CODE], "");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：请填写单位名称");
}

#[test]
fn the_datasets_a_unit_reports_are_known_ones() {
    let data = Data::new();
    let definitions = concat!(env!("CARGO_MANIFEST_DIR"), "/../content/datasets");
    let unit = |datasets: &str| {
        data.run(
            &[
                "--datasets",
                definitions,
                "unit",
                "add",
                "--name",
                UNIT_NAME,
                "--code",
                UNIT_CODE,
                "--dataset",
                datasets,
            ],
            "",
        )
    };

    let run = unit("nonsense");
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains("未知的数据类型：nonsense（可选：") && run.stderr.contains("penalty"),
        "{run}"
    );

    // Refused, nothing was recorded: the same code goes in with known datasets.
    let run = unit("penalty,licensing");
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("已添加单位"), "{run}");
}

#[test]
fn a_user_is_added_to_an_existing_unit() {
    let data = data_with_unit();

    // The unit code as typed by hand; the password's line end is not part of it.
    let run = data.add_user("clerk", "11140400pf0b26q50g", "a-long-password");
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        run.stdout.trim(),
        format!("已添加用户 clerk（{UNIT_NAME}，reporter）")
    );

    let run = data.add_user(" clerk ", UNIT_CODE, "another-long-password");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：已存在相同的用户名");
}

#[test]
fn a_user_add_that_is_refused_records_nothing() {
    let data = data_with_unit();

    let run = data.add_user("clerk", UNIT_CODE, "short");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：密码至少需要 10 个字符");

    let run = data.add_user("clerk", "91140400MA0K1234X0", "a-long-password");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.trim(),
        "错误：没有统一社会信用代码为 91140400MA0K1234X0 的单位，请先用 xycz unit add 添加"
    );

    let run = data.add_user("clerk", UNIT_CODE, "");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：标准输入中没有密码");

    let run = data.add_user("  ", UNIT_CODE, "a-long-password");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：请填写用户名");

    // Passwords never go on the command line: without the flag clap refuses the command.
    let run = data.run(
        &[
            "user",
            "add",
            "--username",
            "clerk",
            "--unit-code",
            UNIT_CODE,
            "--role",
            "reporter",
        ],
        "a-long-password\n",
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("--password-stdin"), "{run}");

    let run = data.run(
        &[
            "user",
            "add",
            "--username",
            "clerk",
            "--unit-code",
            UNIT_CODE,
            "--role",
            "boss",
            "--password-stdin",
        ],
        "a-long-password\n",
    );
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("unknown role \"boss\""), "{run}");

    // None of the refusals took the name.
    let run = data.add_user("clerk", UNIT_CODE, "a-long-password");
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn passwd_and_disable_name_the_user_and_refuse_unknown_ones() {
    let data = data_with_unit();
    let run = data.add_user("clerk", UNIT_CODE, "a-long-password");
    assert_eq!(run.code, 0, "{run}");

    let passwd = |username: &str, password: &str| {
        data.run(
            &["user", "passwd", "--username", username, "--password-stdin"],
            &format!("{password}\n"),
        )
    };
    let run = passwd("clerk", "short");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：密码至少需要 10 个字符");
    let run = passwd("nobody", "a-new-long-password");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：没有用户名为 nobody 的用户");
    let run = passwd("clerk", "a-new-long-password");
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.trim(), "已修改用户 clerk 的密码");

    let run = data.run(&["user", "disable", "--username", "nobody"], "");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.trim(), "错误：没有用户名为 nobody 的用户");
    let run = data.run(&["user", "disable", "--username", "clerk"], "");
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.trim(), "已停用用户 clerk");
}
