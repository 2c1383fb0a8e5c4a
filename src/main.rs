use clap::Parser;
use corkboard::config::{Cli, Command, Config};
use corkboard::startup::{shutdown_on_signal, Application};

/// jemalloc leaves the untouched pages of a connection's I/O buffers out of
/// the resident set, which glibc's allocator does not (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Serve(config)) => *config,
        Some(Command::Admin(args)) => {
            return match corkboard::cli::admin(args) {
                Ok(out) => {
                    if !out.is_empty() {
                        println!("{out}");
                    }
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("corkboard: {e}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
        None => Config::from_env(),
    };
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("corkboard: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    actix_web::rt::spawn(shutdown_on_signal(app.shutdown_handle()));
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("corkboard: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
