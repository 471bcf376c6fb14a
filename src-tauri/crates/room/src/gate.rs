//! Places at the room's door: how many connections (or TLS handshakes, or refusals being
//! answered) the room holds at once, overall and per source address, so one address, or a
//! handful, cannot take every place. Plain Rust, counts only: a place is given back when its
//! `Pass` is dropped.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// An address holding this many places is a heavy user: the last quarter of the places is
/// kept for the others (a newcomer's page and WebSocket take a few), so many heavy addresses
/// together still cannot fill the door.
const FEW: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Places overall.
    pub total: usize,
    /// Places one source address may hold; `None` where every connection comes from one
    /// place (a reverse proxy in front), which then may take them all.
    pub per_address: Option<usize>,
}

impl Limits {
    fn admit(&self, total: usize, held: usize) -> Result<(), Refusal> {
        if total >= self.total {
            return Err(Refusal::Full);
        }
        let Some(per_address) = self.per_address else { return Ok(()) };
        let kept = self.total / 4;
        if held >= per_address || (held >= FEW && total >= self.total - kept) {
            Err(Refusal::Crowded)
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the room has too many connections open right now; try again in a moment")]
    Full,
    #[error("too many connections to this room are open from your address; close some tabs or try again in a moment")]
    Crowded,
}

/// Counts places; clones count the same places.
#[derive(Clone)]
pub struct Gate(Arc<Mutex<Counts>>);

struct Counts {
    limits: Limits,
    total: usize,
    /// Places held per source; a source holding none has no entry, so this stays as small as
    /// the places.
    held: HashMap<IpAddr, usize>,
}

/// A place, given back when dropped.
pub struct Pass {
    counts: Arc<Mutex<Counts>>,
    source: IpAddr,
}

impl Gate {
    pub fn new(limits: Limits) -> Gate {
        Gate(Arc::new(Mutex::new(Counts { limits, total: 0, held: HashMap::new() })))
    }

    /// A place for a connection from `address`, if the limits allow one.
    pub fn enter(&self, address: IpAddr) -> Result<Pass, Refusal> {
        let source = source(address);
        let mut counts = lock(&self.0);
        let held = counts.held.get(&source).copied().unwrap_or(0);
        counts.limits.admit(counts.total, held)?;
        counts.total += 1;
        counts.held.insert(source, held + 1);
        Ok(Pass { counts: Arc::clone(&self.0), source })
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total -= 1;
        if let Some(held) = counts.held.get_mut(&self.source) {
            *held -= 1;
            if *held == 0 {
                counts.held.remove(&self.source);
            }
        }
    }
}

/// Counts stay consistent whatever panicked while holding the lock (every update is whole).
fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whom a place is counted against: an IPv4 address, or an IPv6 /64, which is what one home
/// or server gets (so nobody can take a fresh address for each connection).
fn source(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & (u128::MAX << 64))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn one_address_gets_its_share_and_the_others_still_get_in() {
        let gate = Gate::new(Limits { total: 100, per_address: Some(10) });
        let held: Vec<Pass> = (0..10).map(|_| gate.enter(v4(1)).unwrap()).collect();
        assert_eq!(gate.enter(v4(1)).err(), Some(Refusal::Crowded));
        assert!(gate.enter(v4(2)).is_ok(), "another address still gets in");
        drop(held);
        assert!(gate.enter(v4(1)).is_ok(), "dropped passes give their places back");
    }

    #[test]
    fn heavy_addresses_cannot_take_the_places_kept_for_newcomers() {
        let gate = Gate::new(Limits { total: 40, per_address: Some(20) });
        let mut held = Vec::new();
        let mut fill = |address| {
            let before = held.len();
            while let Ok(pass) = gate.enter(v4(address)) {
                held.push(pass);
            }
            held.len() - before
        };
        assert_eq!((fill(1), fill(2)), (20, 10), "heavy addresses stop at three quarters of the places");
        assert_eq!(fill(3), FEW, "another address gets no more than a newcomer's few");
        assert_eq!(fill(4), 2, "a newcomer gets the last places");
        assert_eq!(gate.enter(v4(5)).err(), Some(Refusal::Full));
    }

    #[test]
    fn behind_a_proxy_the_one_address_may_take_every_place() {
        let gate = Gate::new(Limits { total: 40, per_address: None });
        let held: Vec<Pass> = (0..40).map(|_| gate.enter(v4(1)).unwrap()).collect();
        assert_eq!(gate.enter(v4(1)).err(), Some(Refusal::Full));
        assert_eq!(held.len(), 40);
    }

    #[test]
    fn an_ipv6_64_counts_as_one_source_and_mapped_ipv4_as_its_address() {
        let gate = Gate::new(Limits { total: 100, per_address: Some(2) });
        let in_one_64 = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, last));
        let _held = (gate.enter(in_one_64(1)).unwrap(), gate.enter(in_one_64(2)).unwrap());
        assert_eq!(gate.enter(in_one_64(3)).err(), Some(Refusal::Crowded));
        let _v4 = (gate.enter(v4(7)).unwrap(), gate.enter(v4(7)).unwrap());
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(gate.enter(mapped).err(), Some(Refusal::Crowded));
    }
}
