//! Serves the in-memory Kubernetes API server double until interrupted, for the lab
//! demo and manual `kubectl` use: `agent-apiserver-double [ADDR] [KUBECONFIG_OUT]`.
//! Defaults: `127.0.0.1:6443`, kubeconfig printed on stdout.

use agent::testing::apiserver::ApiServerDouble;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:6443".into())
        .parse()?;
    let double = ApiServerDouble::start_on(addr).await?;
    match args.next() {
        Some(path) => std::fs::write(&path, double.kubeconfig())?,
        None => print!("{}", double.kubeconfig()),
    }
    eprintln!("agent-apiserver-double serving on {}", double.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
