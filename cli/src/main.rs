//! `xycz`: one command line for the whole platform.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod build;
mod check;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Check(args) => check::run(cli.datasets.as_deref(), args),
        Command::Build(args) => build::run(cli.datasets.as_deref(), args),
    }
}

/// Plain log lines on stderr; `RUST_LOG` sets the level (default: warnings).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
