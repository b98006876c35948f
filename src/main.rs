//! The `proxy-gateway` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use proxy_gateway::cli::{self, Cli};

/// mimalloc instead of glibc's malloc: under load glibc spent a fifth of the gateway's time in
/// its free-list upkeep (`_int_malloc`, `unlink_chunk`) across the runtime's threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("proxy-gateway: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("proxy-gateway: {err}");
            ExitCode::FAILURE
        }
    }
}
