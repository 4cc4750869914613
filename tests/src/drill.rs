//! Faults the drill never causes itself, measured with the drill's own probe: a whole
//! power-off of the VIP holder (`lab poweroff`) under the same [`Prober`] and
//! [`Periodic`] probes the `failover` check runs, through the gateway and on the VIP.
//! Used by `tests/tests/drill_lab.rs` and, repeated, by `bench/drill.sh`.

use std::time::Duration;

use agent::drill::endpoints::endpoints;
use agent::drill::probe::{Budget, Prober};
use agent::drill::series::{self, Outage, Periodic, Tally};
use schema::DesiredState;

use crate::agent_cli::workspace_dir;
use crate::Lab;

/// `sample-repo/` loaded and rendered by the agent's library, secrets decrypted with
/// the lab's demo key.
pub fn sample_state() -> DesiredState {
    let dir = workspace_dir().join("sample-repo");
    agent::validate::prepare_dir(&dir, &[crate::sops_edit::demo_identity()])
        .unwrap_or_else(|d| panic!("sample-repo does not load: {d:?}"))
        .state
}

/// What one power-off looked like from the clients' side.
#[derive(Debug, Clone)]
pub struct PowerOff {
    pub holder: String,
    pub survivor: String,
    /// The running corosync totem token on the survivor (ms).
    pub token_ms: Option<u32>,
    /// Seconds from the power-off until `crm_mon` shows the VIP on the survivor.
    pub moved_after: f64,
    /// Outage windows from the power-off on (prober clock), through the gateway.
    pub gateway: Vec<Outage>,
    pub gateway_tally: Tally,
    /// The same on the VIP directly (the route's upstream).
    pub vip: Vec<Outage>,
    pub vip_tally: Tally,
}

impl PowerOff {
    pub fn gateway_outage(&self) -> f64 {
        self.gateway.iter().map(Outage::duration).sum()
    }
    pub fn vip_outage(&self) -> f64 {
        self.vip.iter().map(Outage::duration).sum()
    }
}

/// Powers off the node holding the VIP under a probe every `interval`, waits for the
/// VIP on the other node and `after` more seconds of probing. The caller restores the
/// node (`lab restore`), also when this fails.
pub fn measure_poweroff(
    lab: &Lab,
    state: &DesiredState,
    interval: Duration,
    after: Duration,
) -> Result<PowerOff, String> {
    let holder = lab.locate("vip").ok_or("the VIP is not running")?;
    let survivor = if holder == "ha1" { "ha2" } else { "ha1" }.to_string();
    let e = endpoints(state);
    let gw: Vec<_> = e.routes.iter().map(|r| r.request.clone()).collect();
    let vip: Vec<_> = e.routes.iter().filter_map(|r| r.upstream.clone()).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let prober = std::sync::Arc::new(Prober::new(
            e.allowed.clone(),
            Duration::from_millis(500),
            Budget::new(20_000, Duration::from_secs(120)),
        ));
        let p_gw = Periodic::start(prober.clone(), gw, interval);
        let p_vip = Periodic::start(prober.clone(), vip, interval);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let fault = prober.now();
        let (l, h) = (lab.clone(), holder.clone());
        let off = tokio::task::spawn_blocking(move || l.poweroff(&h)).await;
        let (l, s) = (lab.clone(), survivor.clone());
        let moved = tokio::task::spawn_blocking(move || {
            crate::wait_until(Duration::from_secs(30), || {
                l.locate("vip").as_deref() == Some(s.as_str())
            })
        })
        .await
        .unwrap_or(false);
        let moved_after = prober.now() - fault;
        tokio::time::sleep(after).await;
        let gw_samples = p_gw.stop().await;
        let vip_samples = p_vip.stop().await;
        off.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        if !moved {
            return Err(format!("the VIP did not move to {survivor} within 30 s"));
        }
        let from = |s: &[agent::drill::probe::Sample]| -> Vec<Outage> {
            series::outages(s)
                .into_iter()
                .filter(|o| o.start >= fault - 0.1)
                .collect()
        };
        let token_ms = lab
            .exec_ok(&survivor, "corosync-cmapctl -g runtime.config.totem.token")
            .ok()
            .and_then(|o| o.rsplit('=').next().and_then(|v| v.trim().parse().ok()));
        Ok(PowerOff {
            holder: holder.clone(),
            survivor: survivor.clone(),
            token_ms,
            moved_after,
            gateway: from(&gw_samples),
            gateway_tally: series::tally(&gw_samples),
            vip: from(&vip_samples),
            vip_tally: series::tally(&vip_samples),
        })
    })
}
