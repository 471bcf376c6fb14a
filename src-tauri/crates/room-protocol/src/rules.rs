//! The rules both ends of a room follow.

use std::time::Duration;

/// Bumped when a message changes in a way an older page could not follow.
pub const PROTOCOL_VERSION: u32 = 2;
/// The largest message a page sends; the room refuses bigger ones.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The largest message the room sends, which a guest must accept: a `welcome` with a board at
/// its caps ([`board::limits::MAX_BOARD_BYTES`]), the roster and the transcript.
pub const MAX_ROOM_MESSAGE_BYTES: usize = 16 << 20;
const _: () = assert!(board::limits::MAX_BOARD_BYTES + (2 << 20) <= MAX_ROOM_MESSAGE_BYTES);
/// The participant id of the person running the room.
pub const HOST_ID: &str = "host";
/// How long someone whose connection dropped keeps their place, to come back as themselves.
pub const REJOIN_GRACE: Duration = Duration::from_secs(30);
/// How long a participant whose connection dropped waits before each try to come back; the
/// last wait repeats until [`REJOIN_GRACE`] is over.
pub const COMEBACK_RETRY: [Duration; 4] =
    [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4), Duration::from_secs(8)];
