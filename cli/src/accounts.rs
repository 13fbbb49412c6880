//! `xycz unit add` and `xycz user add|passwd|disable`: units and accounts from the command line
//! (the first administrator is created here, never by a default password).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use xycz_domain::Catalog;
use xycz_store::{Actor, AuthPolicy, NewUser, Role, StorageConfig, Store};

use crate::serve::{report, runtime};

#[derive(Args)]
pub struct Storage {
    /// The data folder (overridden by XYCZ_DATABASE_URL).
    #[arg(long, value_name = "DIR", default_value = "data", global = true)]
    data: PathBuf,
}

#[derive(Subcommand)]
pub enum UnitCommand {
    /// Add a reporting unit.
    Add {
        /// The unit's name.
        #[arg(long)]
        name: String,
        /// The unit's 统一社会信用代码.
        #[arg(long)]
        code: String,
        /// The datasets it reports, comma-separated or repeated (default: all).
        // Not `--datasets`: that global flag names the folder of the definitions, and the two
        // under one name made clap panic.
        #[arg(long = "dataset", value_name = "ID", value_delimiter = ',')]
        reported: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add an account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// The 统一社会信用代码 of the user's unit.
        #[arg(long)]
        unit_code: String,
        /// reporter or admin.
        #[arg(long)]
        role: Role,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a new password, read from standard input; the user's sessions end.
    Passwd {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable an account; its sessions end.
    Disable {
        #[arg(long)]
        username: String,
    },
}

pub fn unit(datasets: Option<&Path>, storage: Storage, command: UnitCommand) -> ExitCode {
    report(runtime().and_then(|rt| rt.block_on(run_unit(datasets, storage, command))))
}

pub fn user(storage: Storage, command: UserCommand) -> ExitCode {
    report(runtime().and_then(|rt| rt.block_on(run_user(storage, command))))
}

async fn open(storage: &Storage) -> Result<Store> {
    let config = StorageConfig::resolve(&storage.data)?;
    Ok(xycz_store::open(&config).await?)
}

async fn run_unit(datasets: Option<&Path>, storage: Storage, command: UnitCommand) -> Result<()> {
    let UnitCommand::Add {
        name,
        code,
        reported,
    } = command;
    let catalog = Catalog::load(datasets)?;
    let unit = xycz_functions::new_unit_checked(&catalog, name, &code, reported)
        .map_err(|m| anyhow!(m))?;
    let store = open(&storage).await?;
    let created = store.create_unit(&Actor::system(), &unit).await?;
    println!(
        "已添加单位 {}（{}），编号 {}",
        created.name, created.code, created.id
    );
    store.close().await;
    Ok(())
}

async fn run_user(storage: Storage, command: UserCommand) -> Result<()> {
    let store = open(&storage).await?;
    let policy = AuthPolicy::default();
    match command {
        UserCommand::Add {
            username,
            unit_code,
            role,
            ..
        } => {
            let username = username.trim();
            if username.is_empty() {
                bail!("请填写用户名");
            }
            let code = xycz_domain::normalize::code(&unit_code);
            let unit = store.find_unit_by_code(&code).await?.with_context(|| {
                format!("没有统一社会信用代码为 {code} 的单位，请先用 xycz unit add 添加")
            })?;
            let password = read_password()?;
            let user = NewUser {
                username: username.to_owned(),
                unit_id: unit.id,
                role,
                password,
            };
            let created = store.create_user(&Actor::system(), &user, &policy).await?;
            println!(
                "已添加用户 {}（{}，{}）",
                created.username,
                unit.name,
                role.as_str()
            );
        }
        UserCommand::Passwd { username, .. } => {
            let user = find_user(&store, &username).await?;
            let password = read_password()?;
            store
                .change_password(&Actor::system(), user.id, None, &password, &policy)
                .await?;
            println!("已修改用户 {} 的密码", user.username);
        }
        UserCommand::Disable { username } => {
            let user = find_user(&store, &username).await?;
            store
                .set_user_active(&Actor::system(), user.id, false)
                .await?;
            println!("已停用用户 {}", user.username);
        }
    }
    store.close().await;
    Ok(())
}

async fn find_user(store: &Store, username: &str) -> Result<xycz_store::User> {
    store
        .find_user_by_username(username.trim())
        .await?
        .with_context(|| format!("没有用户名为 {username} 的用户"))
}

/// The password: standard input up to the first line end.
fn read_password() -> Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        bail!("标准输入中没有密码");
    }
    Ok(password)
}
