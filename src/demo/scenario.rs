//! The peak-hour meltdown, as a small deterministic simulation stepped once per second.
//!
//! A sale starts, load ramps up, a leaky code path leaves sessions idle in transaction (holding
//! locks), batch jobs pile on, a bad deploy spikes application errors for half a minute, DB CPU
//! climbs to 100 % — then the rush passes. The runbook actions change the state: terminating idle
//! sessions releases the locks and CPU drops; pausing batch jobs and cancelling long queries help too.

/// Length of one replay loop, in seconds.
pub const LOOP_SECS: f64 = 300.0;

/// Everything the simulated exporters would report at one second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub t: f64,
    pub cpu_primary: f64,
    pub cpu_replica: f64,
    pub active: f64,
    pub idle: f64,
    pub idle_in_tx: f64,
    pub tps: f64,
    pub rollback_pct: f64,
    pub http_5xx: f64,
    pub deadlocks: f64,
    pub longest_query_secs: f64,
    /// Seconds per second spent in each of the top statements.
    pub statements: [f64; 5],
}

impl Snapshot {
    pub fn connections(&self) -> f64 {
        self.active + self.idle + self.idle_in_tx
    }
}

/// Mean time of one call of each of [`STATEMENTS`], in seconds: the calls per second are the
/// time per second over it.
pub const MEAN_SECS: [f64; 5] = [0.008, 0.0115, 0.35, 0.0021, 42.0];

/// Statement texts for the top-N table (as pg_stat_statements would show them).
pub const STATEMENTS: [&str; 5] = [
    "SELECT * FROM orders WHERE user_id = $1 FOR UPDATE",
    "UPDATE inventory SET stock = stock - $1 WHERE sku = $2",
    "SELECT count(*) FROM order_items WHERE created_at > $1",
    "INSERT INTO payments (order_id, amount) VALUES ($1, $2)",
    "REFRESH MATERIALIZED VIEW sales_dashboard",
];

/// The simulation's state between steps.
#[derive(Debug, Clone)]
pub struct Scenario {
    start: f64,
    idle_in_tx: f64,
    long_queries: f64,
    batch_paused_until: f64,
    rng: fastrand::Rng,
}

impl Scenario {
    /// A scenario whose loop starts at Unix time `start`.
    pub fn new(start: f64) -> Self {
        Self {
            start,
            idle_in_tx: 2.0,
            long_queries: 0.0,
            batch_paused_until: f64::NEG_INFINITY,
            rng: fastrand::Rng::with_seed(11_11),
        }
    }

    /// Position in the replay loop at time `t` (negative before the start: calm history).
    fn phase(&self, t: f64) -> f64 {
        let since = t - self.start;
        if since < 0.0 {
            -1.0
        } else {
            since % LOOP_SECS
        }
    }

    fn load(phase: f64) -> f64 {
        match phase {
            p if p < 10.0 => 0.3,
            p if p < 40.0 => 0.3 + 0.7 * (p - 10.0) / 30.0,
            p if p < 200.0 => 1.0,
            p if p < 240.0 => 1.0 - 0.7 * (p - 200.0) / 40.0,
            _ => 0.3,
        }
    }

    /// Advances one second to time `t` and reports it.
    pub fn step(&mut self, t: f64) -> Snapshot {
        let phase = self.phase(t);
        let load = Self::load(phase);
        let batch = (20.0..220.0).contains(&phase) && t >= self.batch_paused_until;
        let deploy_spike = (12.0..45.0).contains(&phase);
        let noise = (self.rng.f64() - 0.5) * 4.0;

        if load > 0.6 {
            self.idle_in_tx = (self.idle_in_tx + 1.1 * load).min(70.0);
        } else {
            self.idle_in_tx = (self.idle_in_tx * 0.95).max(2.0);
        }
        if batch {
            self.long_queries = (self.long_queries + 0.12 * load).min(12.0);
        } else {
            self.long_queries = (self.long_queries - 0.5).max(0.0);
        }
        let contention = (self.idle_in_tx * 0.8).min(35.0);
        let cpu = (10.0
            + 40.0 * load
            + contention
            + 1.2 * self.long_queries
            + if batch { 8.0 } else { 0.0 }
            + noise)
            .clamp(0.0, 100.0);
        let active = (6.0 + 90.0 * load * (cpu / 100.0) + self.long_queries + noise.abs()).round();
        let idle = (60.0 - active * 0.4).max(5.0).round();
        let throttle = (1.0 - (cpu - 85.0).max(0.0) / 25.0).max(0.2);
        let tps = 1800.0 * load * throttle + noise * 10.0;
        let rollback_pct =
            0.5 + (cpu - 85.0).max(0.0) * 0.4 + if self.idle_in_tx > 30.0 { 2.0 } else { 0.0 };
        let http_5xx =
            2.0 + if deploy_spike { 60.0 } else { 0.0 } + (cpu - 90.0).max(0.0) * 4.0 + noise.abs();
        let stmt_scale = load * (0.5 + cpu / 100.0);
        Snapshot {
            t,
            cpu_primary: cpu,
            cpu_replica: (12.0 + 25.0 * load + noise).clamp(0.0, 100.0),
            active,
            idle,
            idle_in_tx: self.idle_in_tx.round(),
            tps: tps.max(0.0),
            rollback_pct,
            http_5xx,
            deadlocks: 0.01 + self.idle_in_tx * 0.01,
            longest_query_secs: if self.long_queries >= 1.0 {
                20.0 + self.long_queries * 25.0
            } else {
                1.5
            },
            statements: [
                4.1 * stmt_scale + contention * 0.1,
                2.6 * stmt_scale + contention * 0.08,
                0.4 + 1.2 * self.long_queries * 0.1,
                1.1 * stmt_scale,
                if batch { 1.8 } else { 0.05 },
            ],
        }
    }

    /// Runbook action: terminate sessions idle in transaction. Returns how many.
    pub fn terminate_idle(&mut self) -> u32 {
        let n = self.idle_in_tx.round() as u32;
        self.idle_in_tx = 0.0;
        n
    }

    /// Runbook action: cancel long-running statements. Returns how many.
    pub fn cancel_long(&mut self) -> u32 {
        let n = self.long_queries.round() as u32;
        self.long_queries = 0.0;
        n
    }

    /// Runbook action: pause batch jobs for two minutes from `t`.
    pub fn pause_batch(&mut self, t: f64) {
        self.batch_paused_until = t + 120.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut Scenario, from: f64, to: f64) -> Vec<Snapshot> {
        (from as i64..to as i64).map(|t| s.step(t as f64)).collect()
    }

    #[test]
    fn meltdown_within_the_first_minute_then_recovery() {
        let mut s = Scenario::new(0.0);
        let snaps = run(&mut s, 0.0, 300.0);
        assert!(snaps[5].cpu_primary < 60.0, "calm start");
        assert!(snaps[20].http_5xx > 50.0, "deploy spike");
        assert!(snaps[50].http_5xx < 30.0, "spike over");
        assert!(snaps[55].cpu_primary > 80.0, "meltdown: {}", snaps[55].cpu_primary);
        assert!(snaps[90].cpu_primary > 95.0, "meltdown: {}", snaps[90].cpu_primary);
        assert!(snaps[58].idle_in_tx > 20.0, "idle in transaction piles up");
        assert!(snaps[290].cpu_primary < 60.0, "recovered: {}", snaps[290].cpu_primary);
    }

    #[test]
    fn terminating_idle_sessions_lowers_cpu() {
        let mut s = Scenario::new(0.0);
        let before = run(&mut s, 0.0, 120.0);
        assert!(s.terminate_idle() > 20);
        let after = run(&mut s, 120.0, 125.0);
        assert!(after[0].idle_in_tx < 3.0);
        assert!(after[0].cpu_primary < 80.0, "{}", after[0].cpu_primary);
        assert!(before[119].cpu_primary > 95.0);
    }
}
