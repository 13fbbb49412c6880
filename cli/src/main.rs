//! `xycz`: one command line for the whole platform.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod accounts;
mod build;
mod check;
mod serve;

#[derive(Parser)]
#[command(
    name = "xycz",
    version,
    about = "信用平台：检查上报文件、生成门户网站、运行上报服务"
)]
struct Cli {
    /// Where the dataset definitions live (default: the built-in ones).
    #[arg(long, global = true, env = "XYCZ_DATASETS")]
    datasets: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an upload file against a dataset definition (exit 0: all rows valid; 1: some rows
    /// invalid; 2: the file could not be checked).
    Check(check::CheckArgs),
    /// Generate the public site (portal, manual, templates, publicity pages, search index).
    Build(build::BuildArgs),
    /// Run the platform on this machine: the site at `/`, the functions under `/api`.
    Serve(serve::ServeArgs),
    /// Apply pending database migrations.
    Migrate(serve::MigrateArgs),
    /// Manage reporting units.
    Unit {
        #[command(flatten)]
        storage: accounts::Storage,
        #[command(subcommand)]
        command: accounts::UnitCommand,
    },
    /// Manage accounts.
    User {
        #[command(flatten)]
        storage: accounts::Storage,
        #[command(subcommand)]
        command: accounts::UserCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Serve(_)));
    match cli.command {
        Command::Check(args) => check::run(cli.datasets.as_deref(), args),
        Command::Build(args) => build::run(cli.datasets.as_deref(), args),
        Command::Serve(args) => serve::run(cli.datasets.as_deref(), args),
        Command::Migrate(args) => serve::migrate(args),
        Command::Unit { storage, command } => {
            accounts::unit(cli.datasets.as_deref(), storage, command)
        }
        Command::User { storage, command } => accounts::user(storage, command),
    }
}

/// Plain log lines on stderr; `RUST_LOG` sets the level (default: warnings, and for `serve`
/// one line per request and per site refresh).
fn init_logging(serving: bool) {
    let default = if serving {
        "warn,tower_http=info,xycz_functions=info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal, not in journald or a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// A site source folder (`content`, `templates`) as given, or, when a relative one is not in
/// the current folder, the one in the checkout this binary was built from: `xycz serve` then
/// works from any folder on the machine it was built on.
pub(crate) fn site_source(dir: &std::path::Path) -> PathBuf {
    if dir.is_absolute() || dir.exists() {
        return dir.to_path_buf();
    }
    let built_from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir);
    if built_from.exists() {
        built_from
    } else {
        dir.to_path_buf()
    }
}
