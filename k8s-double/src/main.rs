//! Serves the in-memory Kubernetes API server double until interrupted, for the lab
//! demo and manual `kubectl` use:
//! `agent-apiserver-double [ADDR] [KUBECONFIG_OUT] [--node NAME]...`.
//! Defaults: `127.0.0.1:6443`, kubeconfig printed on stdout. Each `--node` is
//! registered as a Ready Node (the lab's workers, as the cluster knows them).

use k8s_double::apiserver::ApiServerDouble;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let mut nodes = Vec::new();
    let mut positional = Vec::new();
    let mut it = all.into_iter();
    while let Some(a) = it.next() {
        if a == "--node" {
            nodes.push(
                it.next()
                    .ok_or_else(|| anyhow::anyhow!("--node needs a name"))?,
            );
        } else {
            positional.push(a);
        }
    }
    let mut args = positional.into_iter();
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:6443".into())
        .parse()?;
    let double = ApiServerDouble::start_on(addr).await?;
    for n in &nodes {
        double.register_node(n);
    }
    match args.next() {
        Some(path) => std::fs::write(&path, double.kubeconfig())?,
        None => print!("{}", double.kubeconfig()),
    }
    eprintln!("agent-apiserver-double serving on {}", double.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
