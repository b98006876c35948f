use clap::Parser;

#[derive(Parser)]
#[command(name = "proxy-gateway")]
enum Cli {
    /// Serve a provider simulator.
    Simulate {
        #[arg(long, value_enum)]
        provider: proxy_gateway::sim::SimProvider,
        #[arg(long, default_value = "127.0.0.1:9911")]
        listen: std::net::SocketAddr,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        api_key: Option<String>,
        #[arg(long)]
        control: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse() {
        Cli::Simulate {
            provider,
            listen,
            seed,
            api_key,
            control,
        } => {
            let mut opts = proxy_gateway::sim::SimOptions::new(provider);
            opts.seed = seed;
            opts.control = control;
            if let Some(k) = api_key {
                opts.api_key = k;
            }
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let handle = proxy_gateway::sim::spawn_on(provider, opts, listener)?;
            eprintln!("simulating {} on http://{}", provider.as_str(), handle.addr);
            tokio::signal::ctrl_c().await?;
            handle.stop().await;
        }
    }
    Ok(())
}
