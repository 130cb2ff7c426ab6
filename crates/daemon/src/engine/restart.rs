//! Graceful restart as the restarting speaker (RFC 4724 §4.1), with the dataplane kept
//! across the restart.
//!
//! Stopped (SIGTERM) with `graceful_restart_time` set and a Linux dataplane, the daemon leaves
//! its kernel entries in place and closes its sessions without a NOTIFICATION, so that its
//! peers keep its routes as stale: traffic to and from this node keeps flowing. Started
//! again, its drivers adopt the entries of the previous run; if they found any, the daemon
//! is *replaying* until the agents have re-sent their attachments (they do when `/ping`
//! changes):
//! - its first OPEN to each peer carries the Restart State bit;
//! - it holds back its End-of-RIB markers for the VPN families, so that peers keep the stale
//!   routes of ours that the replay has not re-advertised yet instead of dropping them at
//!   once (the RT Constraint one goes out: peers wait for it to send us VPN routes);
//! - its drivers add and change entries, and remove none they adopted.
//!
//! The replay is over when an attach or detach came and none for [`REPLAY_QUIET`] since (the
//! agent is done, and the routes its attachments asked for have arrived), and every peer is
//! up and has sent End-of-RIB for each of its families (we have what the network has); or,
//! whatever happens, after [`REPLAY_MAX`] (an agent with nothing to replay, a peer that stays
//! down), at most half the restart time we advertise, since peers drop our stale routes at
//! that time. Then the held End-of-RIBs go out — peers drop what of ours was not
//! re-advertised — and the drivers sweep the adopted entries that nobody claimed.
//!
//! Pure bookkeeping, driven by the engine: no I/O, no clock of its own.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bagpipe_rib::{Advert, PeerChange, SourceId};
use bagpipe_wire::Family;
use tokio::time::Instant;

/// How long the API must stay quiet after an attach or detach for the replay to be over.
pub const REPLAY_QUIET: Duration = Duration::from_secs(3);
/// The longest a replay lasts, whatever happens.
pub const REPLAY_MAX: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Replay {
    started: Instant,
    max: Duration,
    hold_end_of_rib: bool,
    /// Peers we wait for: those configured.
    peers: usize,
    last_request: Option<Instant>,
    /// Per established peer, the families it has not sent End-of-RIB for yet.
    awaited: HashMap<SourceId, HashSet<Family>>,
    /// End-of-RIB markers held back, per peer.
    held: HashMap<SourceId, Vec<Family>>,
}

impl Replay {
    /// A replay starting `now`, waiting for `peers` peers; End-of-RIB markers are held back
    /// when we restart gracefully (`graceful_restart_time`: peers keep our routes that long).
    pub fn new(now: Instant, peers: usize, graceful_restart_time: Option<u16>) -> Self {
        let max = match graceful_restart_time {
            Some(t) => REPLAY_MAX.min(Duration::from_secs(u64::from(t)) / 2),
            None => REPLAY_MAX,
        };
        Replay {
            started: now,
            max,
            hold_end_of_rib: graceful_restart_time.is_some(),
            peers,
            last_request: None,
            awaited: HashMap::new(),
            held: HashMap::new(),
        }
    }

    /// A session came up; `end_of_rib`: whether the peer sends End-of-RIB markers (speakers
    /// that advertise graceful restart do, RFC 4724 §2; from others none will come).
    pub fn peer_up(&mut self, peer: SourceId, families: &[Family], end_of_rib: bool) {
        let awaited = if end_of_rib {
            families.iter().copied().collect()
        } else {
            HashSet::new()
        };
        self.awaited.insert(peer, awaited);
    }

    pub fn peer_down(&mut self, peer: SourceId) {
        self.awaited.remove(&peer);
        self.held.remove(&peer);
    }

    pub fn end_of_rib(&mut self, peer: SourceId, family: Family) {
        if let Some(families) = self.awaited.get_mut(&peer) {
            families.remove(&family);
        }
    }

    /// An attach or detach request.
    pub fn request(&mut self, now: Instant) {
        self.last_request = Some(now);
    }

    /// Takes out of `changes` the End-of-RIB markers to hold back.
    pub fn hold(&mut self, changes: &mut Vec<PeerChange>) {
        if !self.hold_end_of_rib {
            return;
        }
        changes.retain(|c| match c.advert {
            Advert::EndOfRib(family) if family != Family::RTC => {
                self.held.entry(c.peer).or_default().push(family);
                false
            }
            _ => true,
        });
    }

    pub fn is_over(&self, now: Instant) -> bool {
        now >= self.deadline()
    }

    /// When the replay is over if nothing else happens: at the end of the quiet time once the
    /// peers are synced, else after the longest wait (an End-of-RIB or a peer coming up can
    /// bring it closer: the engine looks again then).
    pub fn deadline(&self) -> Instant {
        let limit = self.started + self.max;
        match self.last_request {
            Some(at) if self.synced() => (at + REPLAY_QUIET).min(limit),
            _ => limit,
        }
    }

    /// Whether every peer is up and has sent End-of-RIB for each of its families.
    fn synced(&self) -> bool {
        self.awaited.len() >= self.peers && self.awaited.values().all(HashSet::is_empty)
    }

    /// The End-of-RIB markers held back, to send now.
    pub fn finish(self) -> HashMap<SourceId, Vec<Family>> {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eor(peer: SourceId, family: Family) -> PeerChange {
        PeerChange {
            peer,
            key: None,
            advert: Advert::EndOfRib(family),
        }
    }

    #[test]
    fn over_once_the_agent_is_quiet_and_every_peer_has_sent_its_end_of_rib() {
        let t0 = Instant::now();
        let mut r = Replay::new(t0, 2, Some(120));
        r.peer_up(1, &[Family::RTC, Family::EVPN], true);
        r.peer_up(2, &[Family::EVPN], false);
        r.request(t0 + Duration::from_secs(1));
        let quiet = t0 + Duration::from_secs(1) + REPLAY_QUIET;
        assert!(!r.is_over(quiet), "peer 1 still owes End-of-RIB");
        assert_eq!(r.deadline(), t0 + Duration::from_secs(60));
        r.end_of_rib(1, Family::RTC);
        r.end_of_rib(1, Family::EVPN);
        assert_eq!(r.deadline(), quiet);
        assert!(!r.is_over(quiet - Duration::from_millis(1)));
        assert!(r.is_over(quiet));
        // Looked at late, it is over all the same.
        assert!(r.is_over(quiet + Duration::from_secs(5)));
        // Another attach starts the quiet time again.
        r.request(quiet);
        assert!(!r.is_over(quiet + Duration::from_secs(1)));
    }

    #[test]
    fn over_after_the_longest_wait_whatever_happens() {
        let t0 = Instant::now();
        let r = Replay::new(t0, 1, Some(30));
        assert_eq!(r.deadline(), t0 + Duration::from_secs(15));
        assert!(!r.is_over(t0 + Duration::from_secs(14)));
        assert!(r.is_over(t0 + Duration::from_secs(15)));
        let r = Replay::new(t0, 1, None);
        assert!(r.is_over(t0 + REPLAY_MAX));
    }

    #[test]
    fn vpn_end_of_ribs_are_held_until_the_end_rtc_is_not() {
        let mut r = Replay::new(Instant::now(), 1, Some(60));
        let mut changes = vec![
            eor(1, Family::RTC),
            eor(1, Family::EVPN),
            eor(2, Family::VPNV4),
        ];
        r.hold(&mut changes);
        assert_eq!(changes, vec![eor(1, Family::RTC)]);
        r.peer_down(2);
        assert_eq!(r.finish(), HashMap::from([(1, vec![Family::EVPN])]));

        // Without graceful restart, peers flushed our routes already: nothing to hold.
        let mut r = Replay::new(Instant::now(), 1, None);
        let mut changes = vec![eor(1, Family::EVPN)];
        r.hold(&mut changes);
        assert_eq!(changes.len(), 1);
    }
}
