//! Jittered exponential back-off for reconnecting (RFC 4271 §8.1.1 "DampPeerOscillations"):
//! quick retries (about a second) when a peer has just gone, slower ones while it stays away,
//! never slower than the configured cap, so that a route reflector that comes back is
//! reconnected within seconds.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(8),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    current: Duration,
}

impl Backoff {
    pub fn new(config: BackoffConfig) -> Self {
        Backoff {
            config,
            current: config.initial,
        }
    }

    /// The next delay: the current one with ±25 % jitter (so that a fleet of nodes does not
    /// reconnect in lock-step), then doubled for next time, up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let jitter = 0.75 + fastrand::f64() * 0.5;
        let d = self.current.mul_f64(jitter).min(self.config.max);
        self.current = (self.current * 2).min(self.config.max);
        d
    }

    /// Back to the initial delay, once a session was established.
    pub fn reset(&mut self) {
        self.current = self.config.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter_and_resets() {
        let mut b = Backoff::new(BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(8),
        });
        let delays: Vec<Duration> = (0..6).map(|_| b.next_delay()).collect();
        assert!(
            delays[0] >= Duration::from_millis(750) && delays[0] <= Duration::from_millis(1250)
        );
        assert!(
            delays[1] >= Duration::from_millis(1500) && delays[1] <= Duration::from_millis(2500)
        );
        assert!(delays[5] <= Duration::from_secs(8) && delays[5] >= Duration::from_secs(6));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(1250));
    }
}
