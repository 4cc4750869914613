//! Request patterns on top of [`Prober::send`]: a periodic probe running in the
//! background while something happens (a reload, a failover), a batch of N requests
//! with bounded concurrency (the balance check), and the analysis of a series into
//! outage windows.
//!
//! An outage window runs from the start of the first failed request to the start of
//! the next successful one (the lab probe's definition, `tests/lab/probe.py`), so its
//! length does not depend on the request timeout.

use super::probe::{Prober, Request, Sample};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A probe sending one request every `interval` until stopped. Requests overlap when
/// one takes longer than the interval (a timeout during an outage), so the sampling
/// rate stays the same in an outage; at most `timeout / interval + 1` are in flight.
pub struct Periodic {
    stop: watch::Sender<bool>,
    task: JoinHandle<Vec<Sample>>,
}

impl Periodic {
    /// Starts probing `requests` in turn (one per tick), every `interval`, each with the
    /// prober's timeout.
    pub fn start(prober: Arc<Prober>, requests: Vec<Request>, interval: Duration) -> Periodic {
        let timeout = prober.timeout();
        Periodic::start_within(prober, requests, interval, timeout)
    }

    /// [`Periodic::start`] with a timeout of its own for each request.
    pub fn start_within(
        prober: Arc<Prober>,
        requests: Vec<Request>,
        interval: Duration,
        timeout: Duration,
    ) -> Periodic {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut running = futures::stream::FuturesUnordered::new();
            let mut samples = Vec::new();
            let mut next = 0usize;
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        if requests.is_empty() || prober.budget_spent() { break; }
                        let p = prober.clone();
                        let r = requests[next % requests.len()].clone();
                        next += 1;
                        running.push(async move { p.send_within(&r, timeout).await });
                    }
                    Some(s) = running.next(), if !running.is_empty() => samples.push(s),
                    _ = stopped.changed() => break,
                }
            }
            while let Some(s) = running.next().await {
                samples.push(s);
            }
            samples.sort_by(|a, b| a.start.total_cmp(&b.start));
            samples
        });
        Periodic { stop, task }
    }

    /// Stops sending, waits for the requests in flight, returns every sample by start time.
    pub async fn stop(self) -> Vec<Sample> {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

impl Prober {
    fn budget_spent(&self) -> bool {
        let b = self.budget();
        b.sent() >= b.max_requests || std::time::Instant::now() >= b.deadline
    }
}

/// Sends every request (each on its own connection), at most `concurrency` at once.
/// Samples come back in the order of `requests`.
pub async fn batch(prober: &Prober, requests: &[Request], concurrency: usize) -> Vec<Sample> {
    futures::stream::iter(requests.iter().map(|r| prober.send(r)))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// One window of failed requests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outage {
    /// Start of the first failed request (prober clock, seconds).
    pub start: f64,
    /// Start of the next successful request; the last request's end when still open.
    pub end: f64,
    pub failed: usize,
    /// Still failing when the series ended.
    pub open: bool,
    /// What the failed requests got (`refused`, `timeout`, `503`…), each once.
    pub outcomes: Vec<String>,
}

impl Outage {
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
}

/// The outage windows of a series (samples sorted by start).
pub fn outages(samples: &[Sample]) -> Vec<Outage> {
    let mut out: Vec<Outage> = Vec::new();
    let mut current: Option<Outage> = None;
    for s in samples {
        if s.ok() {
            if let Some(mut o) = current.take() {
                o.end = s.start;
                o.open = false;
                out.push(o);
            }
            continue;
        }
        let o = current.get_or_insert_with(|| Outage {
            start: s.start,
            end: s.end,
            failed: 0,
            open: true,
            outcomes: Vec::new(),
        });
        o.failed += 1;
        o.end = o.end.max(s.end);
        let outcome = s.outcome();
        if !o.outcomes.contains(&outcome) {
            o.outcomes.push(outcome);
        }
    }
    out.extend(current);
    out
}

/// Counts of a series.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Tally {
    pub requests: usize,
    pub ok: usize,
    pub failed: usize,
}

/// The longest time a served request took, in seconds (0 without one).
pub fn slowest_ok(samples: &[Sample]) -> f64 {
    samples
        .iter()
        .filter(|s| s.ok())
        .map(|s| s.end - s.start)
        .fold(0.0, f64::max)
}

pub fn tally(samples: &[Sample]) -> Tally {
    let ok = samples.iter().filter(|s| s.ok()).count();
    Tally {
        requests: samples.len(),
        ok,
        failed: samples.len() - ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::probe::{Answer, Failure};

    fn s(start: f64, ok: bool) -> Sample {
        Sample {
            start,
            end: start + 0.01,
            result: if ok {
                Ok(Answer {
                    status: 200,
                    ..Default::default()
                })
            } else {
                Err(Failure::Refused)
            },
        }
    }

    #[test]
    fn windows_run_from_the_first_failure_to_the_next_success() {
        let series = [
            s(0.0, true),
            s(0.1, false),
            s(0.2, false),
            s(0.3, true),
            s(0.4, false),
        ];
        let o = outages(&series);
        assert_eq!(o.len(), 2);
        assert_eq!(
            (o[0].start, o[0].end, o[0].failed, o[0].open),
            (0.1, 0.3, 2, false)
        );
        assert!((o[0].duration() - 0.2).abs() < 1e-9);
        assert_eq!(o[0].outcomes, ["refused"]);
        assert!(o[1].open, "still failing at the end");
        assert_eq!(
            tally(&series),
            Tally {
                requests: 5,
                ok: 2,
                failed: 3
            }
        );
        assert!(outages(&[s(0.0, true), s(0.1, true)]).is_empty());
    }
}
