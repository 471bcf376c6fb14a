//! The process's file descriptors: at start the limit is raised to the most the system allows
//! (as servers do), and the room takes connections only up to that limit less a reserve, so
//! a flood of connections can never leave the board unsaved for want of a descriptor.

/// Descriptors kept for all but the room's connections: the board file and its new copy
/// while saving, the data folder's lock, the audio devices, the log, the Realtime API's,
/// ACME's and the STUN/TURN probes' connections, the async runtime's own.
const RESERVE: u64 = 256;
/// And for each participant the room holds: their peer's UDP sockets (about four) and timers.
const RESERVE_PER_PARTICIPANT: u64 = 8;
/// More connections than this cost memory (TLS buffers) and help nobody: a room holds a few
/// dozen people.
const MOST_CONNECTIONS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this process may open only {limit} files, too few for a room of {cap} with a reserve for saving the board; raise the limit (`ulimit -n`, or LimitNOFILE= in a systemd unit)"
)]
pub struct TooFewDescriptors {
    pub limit: u64,
    pub cap: usize,
}

/// Raises the soft limit on open files to the hard limit, at the start of a process that may
/// host a room, and logs the limit now in force.
pub fn raise_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => log::info!("this process may open {limit} files"),
        Err(err) => log::warn!("the limit on open files could not be raised: {err}"),
    }
}

/// The soft limit on open files in force, if there is one.
pub fn limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft).filter(|soft| *soft < rlimit::INFINITY)
    }
    #[cfg(not(unix))]
    None
}

/// How many connections a room of `cap` participants may hold at once under `limit` open
/// files: the limit less the reserve, and at least `needed`.
pub fn connection_budget(limit: Option<u64>, cap: usize, needed: usize) -> Result<usize, TooFewDescriptors> {
    let Some(limit) = limit else { return Ok(MOST_CONNECTIONS.max(needed)) };
    let reserve = RESERVE + RESERVE_PER_PARTICIPANT * cap as u64;
    let budget = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX).min(MOST_CONNECTIONS);
    if budget < needed {
        return Err(TooFewDescriptors { limit, cap });
    }
    Ok(budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_keeps_a_reserve_below_the_limit() {
        assert_eq!(connection_budget(Some(1024), 16, 100), Ok(1024 - 256 - 128));
        assert_eq!(connection_budget(Some(1_048_576), 16, 100), Ok(MOST_CONNECTIONS));
        assert_eq!(connection_budget(None, 16, 100), Ok(MOST_CONNECTIONS));
        assert_eq!(connection_budget(Some(256), 16, 100), Err(TooFewDescriptors { limit: 256, cap: 16 }));
    }
}
