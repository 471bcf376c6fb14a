//! Who hears whom in the SFU, as a table without I/O: the host's microphone, and for each
//! participant in the room whether the host muted them, whether their connection is up and
//! the tracks it sends. The hub asks it what each participant receives and whose voice is
//! heard, and applies the answers to the real peers and the mix (`super::peers`).
//!
//! A participant the host muted keeps their tracks negotiated to the others (muting never
//! renegotiates, and their camera still shows); only their voice is silenced, in their
//! audio track's packet loop (`crate::peer`) and in the mix.

use std::collections::BTreeMap;

/// The routing table. `T` is a track as the hub holds it (one handle per track sent).
pub struct Routing<T> {
    /// The host's microphone, while the host sends one.
    host_mic: Option<T>,
    members: BTreeMap<String, Member<T>>,
}

struct Member<T> {
    muted_by_host: bool,
    connected: bool,
    /// What their current connection sends.
    tracks: Vec<T>,
}

impl<T: Clone> Routing<T> {
    pub fn new() -> Self {
        Routing { host_mic: None, members: BTreeMap::new() }
    }

    /// The host's microphone as a track for every participant (`None`: the host is not sending).
    pub fn set_host_mic(&mut self, track: Option<T>) {
        self.host_mic = track;
    }

    /// `id` comes in on a new connection, not up yet: nothing of an earlier one of theirs
    /// is forwarded any more. Someone coming back stays muted if the host muted them.
    pub fn enter(&mut self, id: &str) {
        let member = self.members.entry(id.to_owned()).or_insert(Member {
            muted_by_host: false,
            connected: false,
            tracks: Vec::new(),
        });
        member.connected = false;
        member.tracks.clear();
    }

    /// `id`'s connection is up: they receive, and what they send is forwarded.
    pub fn connect(&mut self, id: &str) {
        if let Some(member) = self.members.get_mut(id) {
            member.connected = true;
        }
    }

    /// `id`'s connection sends a track. Whether it is forwarded: not if their connection is
    /// not up (a late word from one that dropped).
    pub fn add_track(&mut self, id: &str, track: T) -> bool {
        let Some(member) = self.members.get_mut(id).filter(|m| m.connected) else { return false };
        member.tracks.push(track);
        true
    }

    /// `id`'s connection dropped: they keep their place (and the host's mute) but neither
    /// send nor receive until they come back.
    pub fn disconnect(&mut self, id: &str) {
        if let Some(member) = self.members.get_mut(id) {
            member.connected = false;
            member.tracks.clear();
        }
    }

    /// `id` left or was removed: nothing of theirs goes anywhere.
    pub fn leave(&mut self, id: &str) {
        self.members.remove(id);
    }

    /// The host mutes `id` for everyone, or unmutes them.
    pub fn mute(&mut self, id: &str, muted: bool) {
        if let Some(member) = self.members.get_mut(id) {
            member.muted_by_host = muted;
        }
    }

    /// What participant `id` receives: the host's microphone and every other member's
    /// tracks (a muted member's too: silenced, not taken away), never their own.
    pub fn received_by(&self, id: &str) -> Vec<T> {
        let others = self.members.iter().filter(|(other, _)| other.as_str() != id);
        let tracks = others.flat_map(|(_, member)| member.tracks.iter().cloned());
        self.host_mic.iter().cloned().chain(tracks).collect()
    }

    /// Each member whose connection is up, with what they receive.
    pub fn receivers(&self) -> impl Iterator<Item = (&str, Vec<T>)> {
        let connected = self.members.iter().filter(|(_, member)| member.connected);
        connected.map(|(id, _)| (id.as_str(), self.received_by(id)))
    }

    /// Whether `id`'s voice reaches the others and the voice operator's mix: every member's
    /// does unless the host muted them; someone not in the room reaches nobody.
    pub fn audible(&self, id: &str) -> bool {
        self.members.get(id).is_some_and(|member| !member.muted_by_host)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;

    use super::*;

    /// A track as the tests know it: whose it is and which of theirs.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    struct Track {
        owner: String,
        n: u32,
    }

    const HOST_MIC: Track = Track { owner: String::new(), n: 0 };

    fn track(owner: &str, n: u32) -> Track {
        Track { owner: owner.into(), n }
    }

    /// `id` in the room with a connection up that sends `tracks` (numbered from 1).
    fn connected(routing: &mut Routing<Track>, id: &str, tracks: u32) {
        routing.enter(id);
        routing.connect(id);
        for n in 1..=tracks {
            assert!(routing.add_track(id, track(id, n)));
        }
    }

    /// A room with p1 and p2 connected, sending that many tracks each, and the host's
    /// microphone if `host_mic`.
    fn room(host_mic: bool, p1: u32, p2: u32) -> Routing<Track> {
        let mut routing = Routing::new();
        routing.set_host_mic(host_mic.then_some(HOST_MIC));
        connected(&mut routing, "p1", p1);
        connected(&mut routing, "p2", p2);
        routing
    }

    fn received(routing: &Routing<Track>) -> HashMap<String, Vec<Track>> {
        routing.receivers().map(|(id, tracks)| (id.to_owned(), tracks)).collect()
    }

    #[test]
    fn everyone_receives_the_host_and_the_others_but_never_themselves() {
        let mut routing = room(true, 2, 1);
        let received = received(&routing);
        assert_eq!(received["p1"], [HOST_MIC, track("p2", 1)]);
        assert_eq!(received["p2"], [HOST_MIC, track("p1", 1), track("p1", 2)]);
        routing.set_host_mic(None);
        assert_eq!(routing.received_by("p2"), [track("p1", 1), track("p1", 2)]);
    }

    #[test]
    fn a_muted_member_stays_negotiated_but_is_heard_by_nobody() {
        let mut routing = room(false, 2, 0); // p1 sends a voice and a camera
        routing.mute("p1", true);
        assert!(!routing.audible("p1"), "neither the others nor the mix hear them");
        assert_eq!(routing.received_by("p2"), [track("p1", 1), track("p1", 2)], "no renegotiation; video flows");
        assert!(routing.audible("p2"));
        routing.mute("p1", false);
        assert!(routing.audible("p1"));
    }

    #[test]
    fn a_dropped_member_keeps_their_place_and_mute_but_sends_and_receives_nothing() {
        let mut routing = room(true, 1, 1);
        routing.mute("p1", true);
        routing.disconnect("p1");
        assert_eq!(received(&routing).into_keys().collect::<Vec<_>>(), ["p2"]);
        assert_eq!(routing.received_by("p2"), [HOST_MIC]);
        assert!(!routing.add_track("p1", track("p1", 9)));
        assert_eq!(routing.received_by("p2"), [HOST_MIC], "nothing comes from a connection that is down");
        connected(&mut routing, "p1", 1);
        assert!(!routing.audible("p1"), "the host's mute holds across their reconnection");
        assert_eq!(routing.received_by("p2"), [HOST_MIC, track("p1", 1)]);
    }

    #[test]
    fn a_new_connection_replaces_what_the_earlier_one_sent() {
        let mut routing = room(false, 2, 0);
        routing.enter("p1");
        assert_eq!(routing.received_by("p2"), []);
        assert_eq!(received(&routing).into_keys().collect::<Vec<_>>(), ["p2"], "not receiving until it is up");
    }

    #[test]
    fn someone_who_left_reaches_nobody_and_comes_back_unmuted() {
        let mut routing = room(false, 1, 0);
        routing.mute("p1", true);
        routing.leave("p1");
        assert!(!routing.audible("p1"));
        assert_eq!(routing.received_by("p2"), []);
        routing.mute("p1", true); // nobody to mute: ignored
        connected(&mut routing, "p1", 0);
        assert!(routing.audible("p1"), "a newcomer again");
    }

    /// What can happen in a room, to participant number `.0` (of a few).
    #[derive(Debug, Clone)]
    enum Event {
        /// They join, come back, or join again from another tab (`false`: their peer could
        /// not be set up).
        Join(usize, bool),
        SendTrack(usize),
        Drop(usize),
        Leave(usize),
        Remove(usize),
        Mute(usize),
        Unmute(usize),
        HostMic(bool),
    }

    const PEOPLE: usize = 4;

    fn event() -> impl Strategy<Value = Event> {
        let who = 0..PEOPLE;
        prop_oneof![
            (who.clone(), prop::bool::weighted(0.9)).prop_map(|(who, up)| Event::Join(who, up)),
            who.clone().prop_map(Event::SendTrack),
            who.clone().prop_map(Event::Drop),
            who.clone().prop_map(Event::Leave),
            who.clone().prop_map(Event::Remove),
            who.clone().prop_map(Event::Mute),
            who.prop_map(Event::Unmute),
            any::<bool>().prop_map(Event::HostMic),
        ]
    }

    /// What the room should be after the events so far, kept the plain way.
    #[derive(Default)]
    struct Expected {
        /// In the room, with whether they are muted by the host.
        members: HashMap<String, bool>,
        /// Whose connection is up, with what it has sent.
        sending: HashMap<String, Vec<Track>>,
        /// Left or removed, and not back since.
        gone: HashSet<String>,
        host_mic: bool,
        next_track: u32,
    }

    impl Expected {
        fn apply(&mut self, routing: &mut Routing<Track>, event: &Event) {
            let id = |who: &usize| format!("p{who}");
            match event {
                Event::Join(who, up) => {
                    let id = id(who);
                    routing.enter(&id);
                    self.members.entry(id.clone()).or_insert(false);
                    self.gone.remove(&id);
                    self.sending.remove(&id);
                    if *up {
                        routing.connect(&id);
                        self.sending.insert(id, Vec::new());
                    }
                }
                Event::SendTrack(who) => {
                    let id = id(who);
                    self.next_track += 1;
                    let track = track(&id, self.next_track);
                    let forwarded = routing.add_track(&id, track.clone());
                    assert_eq!(
                        forwarded,
                        self.sending.contains_key(&id),
                        "{id}'s track is forwarded while they are up"
                    );
                    if let Some(sent) = self.sending.get_mut(&id) {
                        sent.push(track);
                    }
                }
                Event::Drop(who) => {
                    let id = id(who);
                    routing.disconnect(&id);
                    self.sending.remove(&id);
                }
                // To the routing, being removed by the host is leaving (keeping them out is the doors').
                Event::Leave(who) | Event::Remove(who) => {
                    let id = id(who);
                    routing.leave(&id);
                    self.sending.remove(&id);
                    if self.members.remove(&id).is_some() {
                        self.gone.insert(id);
                    }
                }
                Event::Mute(who) | Event::Unmute(who) => {
                    let id = id(who);
                    let muted = matches!(event, Event::Mute(_));
                    routing.mute(&id, muted);
                    if let Some(member) = self.members.get_mut(&id) {
                        *member = muted;
                    }
                }
                Event::HostMic(on) => {
                    routing.set_host_mic(on.then_some(HOST_MIC));
                    self.host_mic = *on;
                }
            }
        }
    }

    proptest! {
        #[test]
        fn who_hears_whom_holds_through_any_meeting(events in prop::collection::vec(event(), 0..60)) {
            let mut routing = Routing::new();
            let mut expected = Expected::default();
            for event in &events {
                expected.apply(&mut routing, event);
                let received = received(&routing);
                let receivers: HashSet<&String> = received.keys().collect();
                prop_assert_eq!(receivers, expected.sending.keys().collect::<HashSet<_>>(), "whose connection is up");
                for (id, tracks) in &received {
                    prop_assert!(tracks.iter().all(|t| &t.owner != id), "{id} receives their own track: {tracks:?}");
                    prop_assert_eq!(
                        tracks.iter().filter(|&t| *t == HOST_MIC).count(),
                        usize::from(expected.host_mic),
                        "{} gets the host's microphone once while the host sends", id
                    );
                    let from_others: HashSet<&Track> = tracks.iter().filter(|&t| *t != HOST_MIC).collect();
                    let sent_by_others: HashSet<&Track> =
                        expected.sending.iter().filter(|(other, _)| *other != id).flat_map(|(_, sent)| sent).collect();
                    prop_assert_eq!(from_others, sent_by_others, "{} gets every other connection's tracks", id);
                    // What reaches them is what is forwarded and not silenced: unmuted members' voices.
                    for heard in tracks.iter().filter(|&t| *t != HOST_MIC && routing.audible(&t.owner)) {
                        prop_assert_eq!(expected.members.get(&heard.owner), Some(&false), "{} hears {}", id, heard.owner);
                    }
                }
                for gone in &expected.gone {
                    prop_assert!(!routing.audible(gone), "{gone} left, yet is in the mix");
                    prop_assert!(received.values().flatten().all(|t| &t.owner != gone), "{gone} left, yet is forwarded");
                }
                for (id, muted) in &expected.members {
                    prop_assert_eq!(routing.audible(id), !muted, "{} is in the mix exactly when not muted", id);
                }
            }
        }
    }
}
